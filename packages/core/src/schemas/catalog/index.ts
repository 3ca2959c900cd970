import type { AnyTrigger } from '../define-trigger.js'
import {
  accessRequestDynamicApprover,
  accessRequestPostApproval,
  accessRequestPreApproval,
} from './access-request.js'
import {
  accountAggregationCompleted,
  accountAttributesChanged,
  accountCorrelated,
  accountCreated,
  accountDeleted,
  accountUncorrelated,
  accountUpdated,
  aggregationAccountsCollected,
} from './account.js'
import {
  nativeChangeAccountCreated,
  nativeChangeAccountDeleted,
  nativeChangeAccountUpdated,
  sourceAccountCreated,
  sourceAccountDeleted,
  sourceAccountUpdated,
} from './account-native-change.js'
import { campaignActivated, campaignEnded, campaignGenerated, certificationSignedOff } from './campaign.js'
import {
  ciemAutoIncludeScopeSettingChanged,
  ciemNewScopeDetected,
  ciemScopeSelectionChanged,
  sodViolationClosed,
  sodViolationCreated,
  sodViolationMitigated,
  sodViolationReopened,
} from './governance.js'
import { identityAttributesChanged, identityCreated, identityDeleted, outlierDetected } from './identity.js'
import { machineIdentityCreated, machineIdentityDeleted, machineIdentityUpdated } from './machine-identity.js'
import { formSubmitted, savedSearchComplete } from './platform.js'
import {
  postProvisioning,
  sourceCreated,
  sourceDeleted,
  sourceUpdated,
  vaClusterStatusChange,
} from './source.js'

type ById<T extends readonly AnyTrigger[]> = { readonly [D in T[number] as D['id']]: D }

function byId<const T extends readonly AnyTrigger[]>(...triggers: T): ById<T> {
  return Object.freeze(Object.fromEntries(triggers.map((trigger) => [trigger.id, trigger]))) as ById<T>
}

/**
 * Every trigger isc-triggers knows, by id: SailPoint's published triggers, the deprecated ones
 * still seen in tenants, and the newer ones whose ids SailPoint has not published yet
 * (`confirmed: false`). Each entry has the id, display name, type, zod input schema (and output
 * schema for request-response triggers) and the `deprecated` and `confirmed` flags. See
 * docs/triggers.md for the generated reference.
 *
 * @example
 * catalog['idn:identity-created'].input.parse(body)
 * Object.values(catalog).filter((trigger) => trigger.type === 'request-response')
 */
export const catalog = byId(
  accessRequestPreApproval,
  accessRequestDynamicApprover,
  accessRequestPostApproval,
  accountAggregationCompleted,
  aggregationAccountsCollected,
  accountAttributesChanged,
  accountCorrelated,
  accountUncorrelated,
  accountCreated,
  accountUpdated,
  accountDeleted,
  nativeChangeAccountCreated,
  nativeChangeAccountUpdated,
  nativeChangeAccountDeleted,
  sourceAccountCreated,
  sourceAccountUpdated,
  sourceAccountDeleted,
  campaignGenerated,
  campaignActivated,
  campaignEnded,
  certificationSignedOff,
  identityCreated,
  identityAttributesChanged,
  identityDeleted,
  outlierDetected,
  machineIdentityCreated,
  machineIdentityUpdated,
  machineIdentityDeleted,
  postProvisioning,
  sourceCreated,
  sourceUpdated,
  sourceDeleted,
  vaClusterStatusChange,
  savedSearchComplete,
  formSubmitted,
  sodViolationCreated,
  sodViolationReopened,
  sodViolationMitigated,
  sodViolationClosed,
  ciemAutoIncludeScopeSettingChanged,
  ciemNewScopeDetected,
  ciemScopeSelectionChanged,
)

/** The built-in catalog's type. */
export type Catalog = typeof catalog
