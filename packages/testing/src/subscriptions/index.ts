export { type AppliedChange, applySubscriptions } from './apply.js'
export {
  type DesiredSubscription,
  isManaged,
  MANAGED_PREFIX,
  readSubscriptionsConfig,
  resolveSubscriptions,
  type SubscriptionAuth,
  type SubscriptionBody,
  type SubscriptionEntry,
  type SubscriptionsFile,
} from './config.js'
export { credentialsHash, MANAGED_DESCRIPTION, managedDescription } from './credentials.js'
export { SubscriptionsError, type SubscriptionsErrorKind } from './errors.js'
export { planSubscriptions, type SubscriptionChange, type SubscriptionsPlan } from './plan.js'
export {
  type FilterValidation,
  type TenantClient,
  type TenantOptions,
  type TenantSubscription,
  tenantClient,
} from './tenant-client.js'
export { validateFilterOnTenant } from './validate-filter.js'
