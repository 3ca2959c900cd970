import { z } from 'zod'
import { defineTrigger } from '../define-trigger.js'
import { attributeMap, identityRef, jsonObject, openObject } from './refs.js'

/** `idn:identity-created`: an identity was created (by aggregation or by hand). */
export const identityCreated = defineTrigger({
  id: 'idn:identity-created',
  name: 'Identity Created',
  type: 'fire-and-forget',
  input: openObject({
    identity: identityRef,
    /** Attributes from the identity profile; keys and values depend on the tenant. */
    attributes: attributeMap,
  }),
})

/** `idn:identity-deleted`: an identity was deleted (GA since Oct 2025). */
export const identityDeleted = defineTrigger({
  id: 'idn:identity-deleted',
  name: 'Identity Deleted',
  type: 'fire-and-forget',
  input: openObject({ identity: identityRef, attributes: attributeMap }),
})

/** A changed identity attribute's value: a scalar, a list, an object (e.g. a manager reference), or null. */
const changedValue = z
  .union([z.string(), z.boolean(), z.number(), z.array(z.unknown()), jsonObject])
  .nullish()

/**
 * `idn:identity-attributes-changed`: identity attributes changed. Values longer than 450
 * characters arrive truncated, and a null → active lifecycle change is not reported (per the docs).
 */
export const identityAttributesChanged = defineTrigger({
  id: 'idn:identity-attributes-changed',
  name: 'Identity Attributes Changed',
  type: 'fire-and-forget',
  input: openObject({
    identity: identityRef,
    changes: z.array(openObject({ attribute: z.string(), oldValue: changedValue, newValue: changedValue })),
  }),
})

/**
 * `idn:outlier-detected`: an identity was flagged as an outlier. Id guessed from the docs page.
 * Quirk: the docs example's `identity` has no `name`, which the schema requires; it is optional here.
 */
export const outlierDetected = defineTrigger({
  id: 'idn:outlier-detected',
  name: 'Outlier Detected',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({
    identity: openObject({ type: z.literal('IDENTITY'), id: z.string(), name: z.string().optional() }),
    outlierType: z.enum(['LOW_SIMILARITY']),
    score: z.number(),
  }),
})
