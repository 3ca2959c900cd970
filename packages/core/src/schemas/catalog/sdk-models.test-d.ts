import type {
  AccessRequestDynamicApprover1Beta,
  AccessRequestDynamicApprover1V2024,
  AccessRequestDynamicApproverBeta,
  AccessRequestDynamicApproverV2024,
  AccessRequestPostApprovalBeta,
  AccessRequestPostApprovalV2024,
  AccessRequestPreApproval1Beta,
  AccessRequestPreApproval1V2024,
  AccessRequestPreApprovalBeta,
  AccessRequestPreApprovalV2024,
  AccountAggregationCompletedBeta,
  AccountAggregationCompletedV2024,
  AccountAttributesChangedBeta,
  AccountAttributesChangedV2024,
  AccountCorrelatedBeta,
  AccountCorrelatedV2024,
  AccountsCollectedForAggregationBeta,
  AccountsCollectedForAggregationV2024,
  AccountUncorrelatedBeta,
  AccountUncorrelatedV2024,
  CampaignActivatedBeta,
  CampaignActivatedV2024,
  CampaignEndedBeta,
  CampaignEndedV2024,
  CampaignGeneratedBeta,
  CampaignGeneratedV2024,
  CertificationSignedOffBeta,
  CertificationSignedOffV2024,
  IdentityAttributesChangedBeta,
  IdentityAttributesChangedV2024,
  IdentityCreatedBeta,
  IdentityCreatedV2024,
  IdentityDeletedBeta,
  IdentityDeletedV2024,
  ProvisioningCompletedBeta,
  ProvisioningCompletedV2024,
  SavedSearchCompleteBeta,
  SavedSearchCompleteV2024,
  SourceAccountCreatedBeta,
  SourceAccountCreatedV2024,
  SourceAccountDeletedBeta,
  SourceAccountDeletedV2024,
  SourceAccountUpdatedBeta,
  SourceAccountUpdatedV2024,
  SourceCreatedBeta,
  SourceCreatedV2024,
  SourceDeletedBeta,
  SourceDeletedV2024,
  SourceUpdatedBeta,
  SourceUpdatedV2024,
  TriggerExampleInputBeta,
  TriggerExampleInputV2024,
  TriggerExampleOutputBeta,
  TriggerExampleOutputV2024,
  VAClusterStatusChangeEventBeta,
  VAClusterStatusChangeEventV2024,
} from 'sailpoint-api-client'
import { describe, expectTypeOf, it } from 'vitest'
import type { TriggerId, TriggerInput, TriggerOutput } from '../../types.js'

// A value typed with one of SailPoint's SDK trigger models (sailpoint-api-client, v2024 and beta)
// can be passed where the matching TriggerInput is expected, with no cast, and a decision typed
// with the SDK's output model can be returned by a handler. The SDK's own unions of trigger models
// (TriggerExampleInput*, TriggerExampleOutput*) prove the lists below miss none.

/** Each catalog trigger and the SDK's V2024 model of its input (native change: the spec's SourceAccount* models). */
interface InputModelsV2024 {
  'idn:access-request-pre-approval': AccessRequestPreApprovalV2024
  'idn:access-request-dynamic-approver': AccessRequestDynamicApproverV2024
  'idn:access-request-post-approval': AccessRequestPostApprovalV2024
  'idn:account-aggregation-completed': AccountAggregationCompletedV2024
  'idn:aggregation-accounts-collected': AccountsCollectedForAggregationV2024
  'idn:account-attributes-changed': AccountAttributesChangedV2024
  'idn:account-correlated': AccountCorrelatedV2024
  'idn:account-uncorrelated': AccountUncorrelatedV2024
  'idn:campaign-activated': CampaignActivatedV2024
  'idn:campaign-ended': CampaignEndedV2024
  'idn:campaign-generated': CampaignGeneratedV2024
  'idn:certification-signed-off': CertificationSignedOffV2024
  'idn:identity-attributes-changed': IdentityAttributesChangedV2024
  'idn:identity-created': IdentityCreatedV2024
  'idn:identity-deleted': IdentityDeletedV2024
  'idn:post-provisioning': ProvisioningCompletedV2024
  'idn:saved-search-complete': SavedSearchCompleteV2024
  'idn:source-account-created': SourceAccountCreatedV2024
  'idn:source-account-deleted': SourceAccountDeletedV2024
  'idn:source-account-updated': SourceAccountUpdatedV2024
  'idn:source-created': SourceCreatedV2024
  'idn:source-deleted': SourceDeletedV2024
  'idn:source-updated': SourceUpdatedV2024
  'idn:va-cluster-status-change': VAClusterStatusChangeEventV2024
  'idn:native-change-account-created': SourceAccountCreatedV2024
  'idn:native-change-account-deleted': SourceAccountDeletedV2024
  'idn:native-change-account-updated': SourceAccountUpdatedV2024
}

/** Each request-response trigger and the SDK's V2024 model of its decision. */
interface OutputModelsV2024 {
  'idn:access-request-pre-approval': AccessRequestPreApproval1V2024
  'idn:access-request-dynamic-approver': AccessRequestDynamicApprover1V2024
}

/** Each catalog trigger and the SDK's Beta model of its input (native change: the spec's SourceAccount* models). */
interface InputModelsBeta {
  'idn:access-request-pre-approval': AccessRequestPreApprovalBeta
  'idn:access-request-dynamic-approver': AccessRequestDynamicApproverBeta
  'idn:access-request-post-approval': AccessRequestPostApprovalBeta
  'idn:account-aggregation-completed': AccountAggregationCompletedBeta
  'idn:aggregation-accounts-collected': AccountsCollectedForAggregationBeta
  'idn:account-attributes-changed': AccountAttributesChangedBeta
  'idn:account-correlated': AccountCorrelatedBeta
  'idn:account-uncorrelated': AccountUncorrelatedBeta
  'idn:campaign-activated': CampaignActivatedBeta
  'idn:campaign-ended': CampaignEndedBeta
  'idn:campaign-generated': CampaignGeneratedBeta
  'idn:certification-signed-off': CertificationSignedOffBeta
  'idn:identity-attributes-changed': IdentityAttributesChangedBeta
  'idn:identity-created': IdentityCreatedBeta
  'idn:identity-deleted': IdentityDeletedBeta
  'idn:post-provisioning': ProvisioningCompletedBeta
  'idn:saved-search-complete': SavedSearchCompleteBeta
  'idn:source-account-created': SourceAccountCreatedBeta
  'idn:source-account-deleted': SourceAccountDeletedBeta
  'idn:source-account-updated': SourceAccountUpdatedBeta
  'idn:source-created': SourceCreatedBeta
  'idn:source-deleted': SourceDeletedBeta
  'idn:source-updated': SourceUpdatedBeta
  'idn:va-cluster-status-change': VAClusterStatusChangeEventBeta
  'idn:native-change-account-created': SourceAccountCreatedBeta
  'idn:native-change-account-deleted': SourceAccountDeletedBeta
  'idn:native-change-account-updated': SourceAccountUpdatedBeta
}

/** Each request-response trigger and the SDK's Beta model of its decision. */
interface OutputModelsBeta {
  'idn:access-request-pre-approval': AccessRequestPreApproval1Beta
  'idn:access-request-dynamic-approver': AccessRequestDynamicApprover1Beta
}

/** `true` for each trigger whose SDK model is assignable to the catalog's type. */
type Assignable<Models, Target extends Record<keyof Models, unknown>> = {
  [Id in keyof Models]: Models[Id] extends Target[Id] ? true : false
}
type AllTrue<Models> = { [Id in keyof Models]: true }
type Inputs<Models> = { [Id in keyof Models & TriggerId]: TriggerInput<Id> }
type Outputs<Models> = { [Id in keyof Models & TriggerId]: TriggerOutput<Id> }

describe('SailPoint SDK V2024 trigger models', () => {
  it('lists every trigger model the SDK has', () => {
    expectTypeOf<InputModelsV2024[keyof InputModelsV2024]>().toEqualTypeOf<TriggerExampleInputV2024>()
    expectTypeOf<OutputModelsV2024[keyof OutputModelsV2024]>().toEqualTypeOf<TriggerExampleOutputV2024>()
  })

  it('every input model is assignable to its TriggerInput', () => {
    expectTypeOf<Assignable<InputModelsV2024, Inputs<InputModelsV2024>>>().toEqualTypeOf<
      AllTrue<InputModelsV2024>
    >()
  })

  it('every output model is assignable to its TriggerOutput', () => {
    expectTypeOf<Assignable<OutputModelsV2024, Outputs<OutputModelsV2024>>>().toEqualTypeOf<
      AllTrue<OutputModelsV2024>
    >()
  })
})

describe('SailPoint SDK Beta trigger models', () => {
  it('lists every trigger model the SDK has', () => {
    expectTypeOf<InputModelsBeta[keyof InputModelsBeta]>().toEqualTypeOf<TriggerExampleInputBeta>()
    expectTypeOf<OutputModelsBeta[keyof OutputModelsBeta]>().toEqualTypeOf<TriggerExampleOutputBeta>()
  })

  it('every input model is assignable to its TriggerInput', () => {
    expectTypeOf<Assignable<InputModelsBeta, Inputs<InputModelsBeta>>>().toEqualTypeOf<
      AllTrue<InputModelsBeta>
    >()
  })

  it('every output model is assignable to its TriggerOutput', () => {
    expectTypeOf<Assignable<OutputModelsBeta, Outputs<OutputModelsBeta>>>().toEqualTypeOf<
      AllTrue<OutputModelsBeta>
    >()
  })
})

it('an SDK-typed value passes to a handler without a cast', () => {
  const handle = (input: TriggerInput<'idn:identity-created'>) => input.identity.id
  const fromSdk: IdentityCreatedV2024 = {
    identity: { type: 'IDENTITY', id: '2c9', name: 'Ann' },
    attributes: { department: 'Sales' },
  }
  expectTypeOf(handle(fromSdk)).toEqualTypeOf<string>()
})
