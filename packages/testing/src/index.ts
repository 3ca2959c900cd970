export { type Delivered, type DeliverOptions, type DeliveryTarget, deliver } from './deliver.js'
export {
  type FakeIsc,
  type FakeIscOptions,
  type ProgrammedFailure,
  type ReceivedAttempt,
  type StoredSubscription,
  startFakeIsc,
} from './fake-isc.js'
export { type FilterResult, matchesFilter } from './filters/matches-filter.js'
export {
  type RequestResponseTriggerId,
  type SampleOverrides,
  sampleInput,
  sampleOutput,
} from './sample-builders.js'
export { sampleInputs, sampleOutputs } from './sample-payloads.js'
export {
  type AppliedChange,
  applySubscriptions,
  credentialsHash,
  type DesiredSubscription,
  type FilterValidation,
  isManaged,
  MANAGED_DESCRIPTION,
  MANAGED_PREFIX,
  managedDescription,
  planSubscriptions,
  readSubscriptionsConfig,
  resolveSubscriptions,
  type SubscriptionAuth,
  type SubscriptionBody,
  type SubscriptionChange,
  type SubscriptionEntry,
  SubscriptionsError,
  type SubscriptionsErrorKind,
  type SubscriptionsFile,
  type SubscriptionsPlan,
  type TenantClient,
  type TenantOptions,
  type TenantSubscription,
  tenantClient,
  validateFilterOnTenant,
} from './subscriptions/index.js'
