import { z } from 'zod'
import { defineTrigger } from '../define-trigger.js'
import { openObject, timestamp } from './refs.js'

// SOD violation and CIEM triggers. SailPoint publishes no example payloads for them and their
// schemas require no field at all, so every field is optional here too: an event that lacks even
// its id is still delivered to the handler rather than refused and lost.

/** `{ id, type }` of a referenced object; SailPoint requires neither. */
const idOf = <const T extends readonly [string, ...string[]]>(types: T) =>
  openObject({ id: z.string().optional(), type: z.enum(types).optional() })

const violation = {
  id: z.string().optional(),
  name: z.string().optional(),
  created: timestamp.optional(),
  modified: timestamp.optional(),
  lastEvaluatedDate: timestamp.optional(),
  level: z.string().optional(),
  owner: idOf(['IDENTITY', 'GOVERNANCE_GROUP']).optional(),
  policy: idOf(['SOD']).optional(),
  target: idOf(['IDENTITY']).optional(),
}

/** `idn:sod-violation-created`: a separation-of-duties violation was found. In the v2026 spec only; id seen only in community code. */
export const sodViolationCreated = defineTrigger({
  id: 'idn:sod-violation-created',
  name: 'SOD Violation Created',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({ ...violation, status: z.string().optional() }),
})

/** `idn:sod-violation-reopened`: a closed or mitigated SOD violation was reopened. Id guessed by analogy. */
export const sodViolationReopened = defineTrigger({
  id: 'idn:sod-violation-reopened',
  name: 'SOD Violation Reopened',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({
    ...violation,
    previousStatus: z.string().optional(),
    currentStatus: z.string().optional(),
    reason: z.enum(['Conflicting Criteria Updated', 'Applied Control Expired']).optional(),
  }),
})

/** `idn:sod-violation-mitigated`: a compensating control was applied to an SOD violation. Id guessed by analogy. */
export const sodViolationMitigated = defineTrigger({
  id: 'idn:sod-violation-mitigated',
  name: 'SOD Violation Mitigated',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({
    ...violation,
    status: z.string().optional(),
    expiration: timestamp.optional(),
    appliedControls: z
      .array(
        openObject({
          id: z.string().optional(),
          appliedDate: timestamp.optional(),
          applier: idOf(['IDENTITY']).optional(),
          comments: z.string().nullish(),
          control: idOf(['COMPENSATING_CONTROL']).optional(),
          expiration: timestamp.optional(),
          status: z.enum(['Pending', 'Active', 'Completed', 'Canceled', 'Failed']).optional(),
          violation: z.string().optional(),
          workflowId: z.string().nullish(),
        }),
      )
      .optional(),
  }),
})

/** `idn:sod-violation-closed`: an SOD violation was closed. Id guessed by analogy. */
export const sodViolationClosed = defineTrigger({
  id: 'idn:sod-violation-closed',
  name: 'SOD Violation Closed',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({
    ...violation,
    previousStatus: z.enum(['Open', 'Mitigated']).optional(),
    currentStatus: z.enum(['Closed']).optional(),
  }),
})

const scope = openObject({ name: z.string(), nativeId: z.string() })
const ciemSource = {
  event: z.string().optional(),
  timestamp: z.string().optional(),
  sourceIscId: z.string().optional(),
  sourceName: z.string().optional(),
  sourceNativeId: z.string().optional(),
}
/** Who changed a CIEM setting, when a person did. */
const ciemActor = { identityId: z.string().optional(), identityDisplayName: z.string().optional() }
/** A list of scopes with its count and whether it was cut short. */
const scopeList = { total: z.number().int().min(1).optional(), truncated: z.boolean().optional() }

/** `idn:ciem-auto-include-scope-setting-changed`: a CIEM source's auto-include scope setting changed. Id guessed from the docs page. */
export const ciemAutoIncludeScopeSettingChanged = defineTrigger({
  id: 'idn:ciem-auto-include-scope-setting-changed',
  name: 'CIEM Auto-Include Scope Setting Changed',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({
    ...ciemSource,
    ...ciemActor,
  }),
})

/** `idn:ciem-new-scope-detected`: new cloud scopes were discovered on a CIEM source. Id guessed from the docs page. */
export const ciemNewScopeDetected = defineTrigger({
  id: 'idn:ciem-new-scope-detected',
  name: 'CIEM New Scope Detected',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({
    ...ciemSource,
    org: z.string().optional(),
    scopesDiscovered: z.array(scope).optional(),
    scopesEnabled: z.boolean().optional(),
    ...scopeList,
  }),
})

/** `idn:ciem-scope-selection-changed`: the scopes selected on a CIEM source changed. Id guessed from the docs page. */
export const ciemScopeSelectionChanged = defineTrigger({
  id: 'idn:ciem-scope-selection-changed',
  name: 'CIEM Scope Selection Changed',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({
    ...ciemSource,
    ...ciemActor,
    scopesModified: z.array(scope).optional(),
    ...scopeList,
  }),
})
