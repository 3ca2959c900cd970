import { z } from 'zod'
import { defineTrigger } from '../define-trigger.js'
import {
  accountChangeTypes,
  entitlementChanges,
  multiValueAttributeChanges,
  singleValueAttributeChanges,
} from './account.js'
import { attributeMap, openObject } from './refs.js'

// Native Change Detection and the flat SourceAccount* payloads its spec points at (see the quirk below).

/**
 * The Native Change Detection payload as SailPoint's docs show it. Everything but the event type,
 * account and source is optional.
 */
const documentedNativeChange = <const T extends string>(eventType: T) =>
  openObject({
    eventType: z.literal(eventType),
    account: openObject({
      id: z.string(),
      name: z.string(),
      type: z.literal('ACCOUNT').optional(),
      nativeIdentity: z.string().optional(),
      uuid: z.string().nullish(),
      correlated: z.boolean().optional(),
    }),
    source: openObject({
      id: z.string(),
      name: z.string(),
      type: z.literal('SOURCE').optional(),
      alias: z.string().optional(),
      owner: openObject({ id: z.string(), name: z.string() }).nullish(),
      governanceGroup: openObject({ id: z.string(), name: z.string() }).nullish(),
    }),
    identity: openObject({
      id: z.string(),
      name: z.string(),
      type: z.literal('IDENTITY').optional(),
      alias: z.string().optional(),
      email: z.string().nullish(),
      manager: openObject({ id: z.string(), name: z.string() }).nullish(),
    }).nullish(),
    accountChangeTypes: accountChangeTypes.optional(),
    singleValueAttributeChanges: singleValueAttributeChanges.optional(),
    multiValueAttributeChanges: multiValueAttributeChanges.optional(),
    entitlementChanges: entitlementChanges.optional(),
  })

/** The flat `SourceAccount*` payload (`id`, `nativeIdentifier`, `sourceId`, ...). */
const sourceAccount = openObject({
  uuid: z.string().nullish(),
  id: z.string(),
  nativeIdentifier: z.string(),
  sourceId: z.string(),
  sourceName: z.string(),
  identityId: z.string(),
  identityName: z.string(),
  attributes: attributeMap,
})

/**
 * Quirk: SailPoint's spec points the Native Change webhooks at the flat `SourceAccount*` schemas,
 * while the docs show a different, nested payload (`eventType`, `account`, `source`, `identity`,
 * attribute and entitlement changes). Both shapes are accepted, so the input is a union: tell them
 * apart with `'eventType' in input`.
 */
const nativeChange = <const T extends string>(eventType: T) =>
  z.union([documentedNativeChange(eventType), sourceAccount])

/** `idn:native-change-account-created`: an account was created directly on the source. Id guessed from the docs page. */
export const nativeChangeAccountCreated = defineTrigger({
  id: 'idn:native-change-account-created',
  name: 'Native Change Account Created',
  type: 'fire-and-forget',
  confirmed: false,
  input: nativeChange('ACCOUNT_CREATED'),
})

/** `idn:native-change-account-deleted`: an account was deleted directly on the source. Id guessed from the docs page. */
export const nativeChangeAccountDeleted = defineTrigger({
  id: 'idn:native-change-account-deleted',
  name: 'Native Change Account Deleted',
  type: 'fire-and-forget',
  confirmed: false,
  input: nativeChange('ACCOUNT_DELETED'),
})

/** `idn:native-change-account-updated`: an account was changed directly on the source. Id guessed from the docs page. */
export const nativeChangeAccountUpdated = defineTrigger({
  id: 'idn:native-change-account-updated',
  name: 'Native Change Account Updated',
  type: 'fire-and-forget',
  confirmed: false,
  input: nativeChange('ACCOUNT_UPDATED'),
})

/** `idn:source-account-created`: deprecated early-access trigger (replaced by Account Created). */
export const sourceAccountCreated = defineTrigger({
  id: 'idn:source-account-created',
  name: 'Source Account Created',
  type: 'fire-and-forget',
  deprecated: true,
  input: sourceAccount,
})

/** `idn:source-account-deleted`: deprecated early-access trigger (replaced by Account Deleted). */
export const sourceAccountDeleted = defineTrigger({
  id: 'idn:source-account-deleted',
  name: 'Source Account Deleted',
  type: 'fire-and-forget',
  deprecated: true,
  input: sourceAccount,
})

/** `idn:source-account-updated`: deprecated early-access trigger (replaced by Account Updated). */
export const sourceAccountUpdated = defineTrigger({
  id: 'idn:source-account-updated',
  name: 'Source Account Updated',
  type: 'fire-and-forget',
  deprecated: true,
  input: sourceAccount,
})
