import { z } from 'zod'
import { defineTrigger } from '../define-trigger.js'
import {
  attributeMap,
  attributeValue,
  identityRef,
  namedRef,
  openObject,
  sourceRef,
  timestamp,
} from './refs.js'

const accountRef = openObject({
  type: z.literal('ACCOUNT'),
  id: z.string(),
  name: z.string(),
  nativeIdentity: z.string(),
  uuid: z.string().nullish(),
})

const aggregationInput = <S extends z.ZodType>(source: S) =>
  openObject({
    source,
    status: z.enum(['Success', 'Failed', 'Terminated']),
    started: timestamp,
    completed: timestamp,
    errors: z.array(z.string()).nullable(),
    warnings: z.array(z.string()).nullable(),
    stats: openObject({
      scanned: z.number().int(),
      unchanged: z.number().int(),
      changed: z.number().int(),
      added: z.number().int(),
      removed: z.number().int(),
    }),
  })

/**
 * `idn:account-aggregation-completed`: an account aggregation of a source finished.
 * Quirk: the docs example has `source.type: "IDENTITY"` where the schema says `SOURCE`; both are
 * accepted.
 */
export const accountAggregationCompleted = defineTrigger({
  id: 'idn:account-aggregation-completed',
  name: 'Account Aggregation Completed',
  type: 'fire-and-forget',
  input: aggregationInput(
    openObject({ type: z.enum(['SOURCE', 'IDENTITY']), id: z.string(), name: z.string() }),
  ),
})

/** `idn:aggregation-accounts-collected`: the accounts of an aggregation were collected, before processing. */
export const aggregationAccountsCollected = defineTrigger({
  id: 'idn:aggregation-accounts-collected',
  name: 'Accounts Collected for Aggregation',
  type: 'fire-and-forget',
  input: aggregationInput(sourceRef),
})

/** `idn:account-attributes-changed`: attributes of an account changed during aggregation. */
export const accountAttributesChanged = defineTrigger({
  id: 'idn:account-attributes-changed',
  name: 'Account Attributes Changed',
  type: 'fire-and-forget',
  input: openObject({
    identity: identityRef,
    source: sourceRef,
    account: accountRef,
    changes: z.array(
      openObject({ attribute: z.string(), oldValue: attributeValue, newValue: attributeValue }),
    ),
  }),
})

/** `idn:account-correlated`: an account was correlated with an identity. */
export const accountCorrelated = defineTrigger({
  id: 'idn:account-correlated',
  name: 'Account Correlated',
  type: 'fire-and-forget',
  input: openObject({
    identity: identityRef,
    source: sourceRef,
    account: accountRef,
    attributes: attributeMap,
    entitlementCount: z.number().int().optional(),
  }),
})

/** `idn:account-uncorrelated`: an account was uncorrelated from its identity. Dropped from SailPoint's list in Nov 2025. */
export const accountUncorrelated = defineTrigger({
  id: 'idn:account-uncorrelated',
  name: 'Account Uncorrelated',
  type: 'fire-and-forget',
  deprecated: true,
  input: openObject({
    identity: identityRef,
    source: sourceRef,
    account: accountRef,
    entitlementCount: z.number().int().optional(),
  }),
})

// The V2 account events (Account Created / Updated / Deleted).
const accountEventSource = openObject({
  id: z.string(),
  name: z.string(),
  alias: z.string().optional(),
  owner: namedRef.nullish(),
  governanceGroup: namedRef.nullish(),
})
const accountEventAccount = openObject({
  id: z.string(),
  name: z.string(),
  nativeIdentity: z.string(),
  uuid: z.string().nullish(),
  correlated: z.boolean(),
  isMachine: z.boolean().optional(),
  origin: z.string().nullish(),
  attributes: attributeMap.nullish(),
})
const accountEventIdentity = openObject({
  id: z.string(),
  name: z.string(),
  alias: z.string().optional(),
  email: z.string().nullish(),
})
const accountEvent = <const T extends string, const C extends readonly [string, ...string[]]>(
  type: T,
  causes: C,
) => ({
  event: openObject({ type: z.literal(type), cause: z.enum(causes) }),
  source: accountEventSource,
  account: accountEventAccount,
  identity: accountEventIdentity,
})

/** An entitlement added or removed; SailPoint's schema requires none of its fields. */
const entitlementChange = openObject({
  id: z.string().nullish(),
  name: z.string().nullish(),
  owner: openObject({
    id: z.string().optional(),
    name: z.string().nullish(),
    type: z.string().optional(),
  }).nullish(),
  value: z.string().optional(),
})
export const entitlementChanges = z
  .array(
    openObject({
      attributeName: z.string(),
      added: z.array(entitlementChange).nullable(),
      removed: z.array(entitlementChange).nullable(),
    }),
  )
  .nullable()
export const singleValueAttributeChanges = z
  .array(openObject({ name: z.string(), oldValue: attributeValue, newValue: attributeValue }))
  .nullable()
export const multiValueAttributeChanges = z
  .array(
    openObject({
      name: z.string(),
      addedValues: z.array(attributeValue),
      removedValues: z.array(attributeValue),
    }),
  )
  .nullable()
export const accountChangeTypes = z.array(
  z.enum(['ATTRIBUTES_CHANGED', 'ENTITLEMENTS_ADDED', 'ENTITLEMENTS_REMOVED']),
)

/** `idn:account-created` (`ACCOUNT_CREATED_V2`): an account was created by aggregation or provisioning. Id seen only in community code. */
export const accountCreated = defineTrigger({
  id: 'idn:account-created',
  name: 'Account Created',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject(accountEvent('ACCOUNT_CREATED_V2', ['AGGREGATION', 'PROVISIONING'])),
})

/** `idn:account-deleted` (`ACCOUNT_DELETED_V2`). Id guessed from the docs page; not published. */
export const accountDeleted = defineTrigger({
  id: 'idn:account-deleted',
  name: 'Account Deleted',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject(accountEvent('ACCOUNT_DELETED_V2', ['AGGREGATION', 'PROVISIONING'])),
})

/** `idn:account-updated` (`ACCOUNT_UPDATED_V2`): attributes or entitlements changed. Id guessed from the docs page. */
export const accountUpdated = defineTrigger({
  id: 'idn:account-updated',
  name: 'Account Updated',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({
    ...accountEvent('ACCOUNT_UPDATED_V2', ['AGGREGATION', 'PROVISIONING', 'PASSWORD_CHANGE']),
    accountChangeTypes,
    singleValueAttributeChanges,
    multiValueAttributeChanges,
    entitlementChanges,
  }),
})
