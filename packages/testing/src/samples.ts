import type { TriggerId, TriggerInput, TriggerOutput } from '@isc-triggers/core'

// A valid payload for every catalog trigger, written for isc-triggers (invented people, ids and
// systems, shaped like SailPoint's published examples). Tests, the demo and the simulator use them.

type Inputs = { [Id in TriggerId]: TriggerInput<Id> }

const ada = { type: 'IDENTITY', id: 'ee769173319b41d19ccec6c235423237b', name: 'Ada Lovelace' } as const
const grace = { type: 'IDENTITY', id: '0f11f2a4a3c54b0e9c8a4cb4b2f1c0de', name: 'Grace Hopper' } as const
const hrSource = { type: 'SOURCE', id: '7b1c0e5f2d4a4c6e8f0a1b2c3d4e5f60', name: 'Workday HR' } as const
const adSource = {
  type: 'SOURCE',
  id: '3a9d7c1e5b2f4e8a9c0d1e2f3a4b5c6d',
  name: 'Corp Active Directory',
} as const
const adaAccount = {
  type: 'ACCOUNT',
  id: '52bd1b7f6c6a4e1d9b3c8f0e2a4d6c81',
  name: 'ada.lovelace',
  nativeIdentity: 'CN=Ada Lovelace,OU=Engineering,DC=corp,DC=example',
  uuid: '{2f0c9f4e-6a1b-4c3d-8e5f-7a9b0c1d2e3f}',
} as const
const when = '2026-03-02T09:15:27.118Z'
const later = '2026-03-02T09:16:03.442Z'
const requestedItems = [
  {
    id: '2c9180835d2e5168015d32f890ca1581',
    name: 'Payroll Reports (read)',
    description: 'Read access to the monthly payroll reports',
    type: 'ACCESS_PROFILE',
    operation: 'Add',
    comment: 'Needed for quarter-end reporting',
  },
] as const
const campaign = {
  id: '9c4f2e0a7b1d4f3e8a6c5b2d1e0f9a8b',
  name: 'Q1 Manager Access Review',
  description: 'Managers review the access of their direct reports',
  created: '2026-01-05T08:00:00.000Z',
  modified: null,
  deadline: '2026-02-05T08:00:00.000Z',
  type: 'MANAGER',
  campaignOwner: { id: grace.id, displayName: 'Grace Hopper', email: 'grace.hopper@example.com' },
} as const
const accountEvent = {
  source: {
    id: adSource.id,
    name: adSource.name,
    alias: 'Corp AD',
    owner: { id: grace.id, name: 'Grace Hopper' },
    governanceGroup: { id: '1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5', name: 'AD Owners' },
  },
  account: {
    id: adaAccount.id,
    name: adaAccount.name,
    nativeIdentity: adaAccount.nativeIdentity,
    uuid: adaAccount.uuid,
    correlated: true,
    isMachine: false,
    origin: null,
    attributes: { sAMAccountName: 'ada.lovelace', department: 'Engineering' },
  },
  identity: { id: ada.id, name: ada.name, alias: 'ada.lovelace', email: 'ada.lovelace@example.com' },
}
const nativeChange = {
  identity: {
    ...ada,
    alias: 'ada.lovelace',
    email: 'ada.lovelace@example.com',
    manager: { id: grace.id, name: 'Grace Hopper' },
  },
  account: { ...adaAccount, correlated: true },
  source: { ...adSource, alias: 'Corp AD', owner: { id: grace.id, name: 'Grace Hopper' } },
}
const machineIdentity = {
  id: 'a7e3c1f0-2b4d-4e6f-8a0c-1e3f5a7c9e1b',
  name: 'invoice-bot',
  created: when,
  modified: later,
  businessApplication: 'Accounts Payable',
  description: 'Agent that matches invoices to purchase orders',
  attributes: { environment: 'production' },
  subtype: 'AI Agent' as const,
  owners: [{ type: 'IDENTITY', id: grace.id, name: grace.name, isPrimary: true }],
  manuallyEdited: false,
  manuallyCreated: false,
  source: { type: 'SOURCE', id: adSource.id, name: adSource.name },
}
const violation = {
  id: 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9',
  name: 'Payroll vs. Vendor Management',
  created: when,
  lastEvaluatedDate: later,
  level: 'HIGH',
  owner: { id: grace.id, type: 'IDENTITY' },
  policy: { id: '6e5d4c3b-2a19-4087-9f6e-5d4c3b2a1908', type: 'SOD' },
  target: { id: ada.id, type: 'IDENTITY' },
} as const
const ciem = {
  event: 'SCOPE_SELECTION_CHANGED',
  timestamp: when,
  sourceIscId: adSource.id,
  sourceName: 'AWS Production',
  sourceNativeId: 'o-a1b2c3d4e5',
}

/** The sample input of every catalog trigger. */
export const sampleInputs: Inputs = {
  'idn:access-request-pre-approval': {
    accessRequestId: '4b4d982dddff4267ab12f0f1e72b5a6d',
    requestedFor: ada,
    requestedItems: [...requestedItems],
    requestedBy: grace,
  },
  'idn:access-request-dynamic-approver': {
    accessRequestId: '4b4d982dddff4267ab12f0f1e72b5a6d',
    requestedFor: ada,
    requestedItems: [...requestedItems],
    requestedBy: grace,
  },
  'idn:access-request-post-approval': {
    accessRequestId: '4b4d982dddff4267ab12f0f1e72b5a6d',
    requestedFor: ada,
    requestedItemsStatus: [
      {
        ...requestedItems[0],
        clientMetadata: { requestedAppName: 'Request Center' },
        approvalInfo: [
          {
            approvalComment: 'Approved for Q1',
            approvalDecision: 'APPROVED',
            approverName: 'grace.hopper',
            approver: grace,
          },
        ],
      },
    ],
    requestedBy: grace,
  },
  'idn:account-aggregation-completed': {
    source: hrSource,
    status: 'Success',
    started: when,
    completed: later,
    errors: [],
    warnings: ['2 accounts skipped: no employee number'],
    stats: { scanned: 1204, unchanged: 1180, changed: 18, added: 6, removed: 0 },
  },
  'idn:aggregation-accounts-collected': {
    source: hrSource,
    status: 'Success',
    started: when,
    completed: later,
    errors: null,
    warnings: null,
    stats: { scanned: 1204, unchanged: 1180, changed: 18, added: 6, removed: 0 },
  },
  'idn:account-attributes-changed': {
    identity: ada,
    source: adSource,
    account: adaAccount,
    changes: [
      { attribute: 'title', oldValue: 'Engineer', newValue: 'Senior Engineer' },
      { attribute: 'memberOf', oldValue: ['CN=Staff'], newValue: ['CN=Staff', 'CN=Engineering'] },
    ],
  },
  'idn:account-correlated': {
    identity: ada,
    source: adSource,
    account: adaAccount,
    attributes: { sAMAccountName: 'ada.lovelace', mail: 'ada.lovelace@example.com' },
    entitlementCount: 4,
  },
  'idn:account-uncorrelated': { identity: ada, source: adSource, account: adaAccount, entitlementCount: 0 },
  'idn:account-created': { event: { type: 'ACCOUNT_CREATED_V2', cause: 'PROVISIONING' }, ...accountEvent },
  'idn:account-deleted': { event: { type: 'ACCOUNT_DELETED_V2', cause: 'AGGREGATION' }, ...accountEvent },
  'idn:account-updated': {
    event: { type: 'ACCOUNT_UPDATED_V2', cause: 'AGGREGATION' },
    ...accountEvent,
    accountChangeTypes: ['ATTRIBUTES_CHANGED', 'ENTITLEMENTS_ADDED'],
    singleValueAttributeChanges: [{ name: 'title', oldValue: 'Engineer', newValue: 'Senior Engineer' }],
    multiValueAttributeChanges: [
      { name: 'proxyAddresses', addedValues: ['smtp:ada@example.com'], removedValues: [] },
    ],
    entitlementChanges: [
      {
        attributeName: 'memberOf',
        added: [
          {
            id: '8f7e6d5c4b3a4921',
            name: 'Engineering',
            value: 'CN=Engineering,OU=Groups,DC=corp,DC=example',
            owner: null,
          },
        ],
        removed: [],
      },
    ],
  },
  'idn:native-change-account-created': {
    ...nativeChange,
    eventType: 'ACCOUNT_CREATED',
    accountChangeTypes: ['ATTRIBUTES_CHANGED'],
    singleValueAttributeChanges: [{ name: 'displayName', oldValue: null, newValue: 'Ada Lovelace' }],
  },
  'idn:native-change-account-updated': {
    ...nativeChange,
    eventType: 'ACCOUNT_UPDATED',
    accountChangeTypes: ['ENTITLEMENTS_REMOVED'],
    entitlementChanges: [
      {
        attributeName: 'memberOf',
        added: [],
        removed: [
          { id: '1a2b3c4d5e6f4a7b', name: 'Domain Admins', value: 'CN=Domain Admins,DC=corp,DC=example' },
        ],
      },
    ],
  },
  'idn:native-change-account-deleted': { ...nativeChange, eventType: 'ACCOUNT_DELETED' },
  'idn:source-account-created': {
    uuid: adaAccount.uuid,
    id: adaAccount.id,
    nativeIdentifier: 'ada.lovelace',
    sourceId: adSource.id,
    sourceName: adSource.name,
    identityId: ada.id,
    identityName: ada.name,
    attributes: { sAMAccountName: 'ada.lovelace' },
  },
  'idn:source-account-updated': {
    id: adaAccount.id,
    nativeIdentifier: 'ada.lovelace',
    sourceId: adSource.id,
    sourceName: adSource.name,
    identityId: ada.id,
    identityName: ada.name,
    attributes: { title: 'Senior Engineer' },
  },
  'idn:source-account-deleted': {
    id: adaAccount.id,
    nativeIdentifier: 'ada.lovelace',
    sourceId: adSource.id,
    sourceName: adSource.name,
    identityId: ada.id,
    identityName: ada.name,
    attributes: {},
  },
  'idn:campaign-generated': { campaign: { ...campaign, status: 'STAGED' } },
  'idn:campaign-activated': { campaign: { ...campaign, status: 'ACTIVE' } },
  'idn:campaign-ended': {
    campaign: { ...campaign, status: 'COMPLETED', modified: '2026-02-05T08:00:00.000Z' },
  },
  'idn:certification-signed-off': {
    certification: {
      id: '2f4e6a8c0b1d4f3e9a7c5e3b1d9f7a5c',
      name: 'Q1 Manager Access Review for Grace Hopper',
      created: campaign.created,
      modified: null,
      campaignRef: {
        id: campaign.id,
        name: campaign.name,
        type: 'CAMPAIGN',
        campaignType: 'MANAGER',
        description: campaign.description,
        correlatedStatus: 'CORRELATED',
        mandatoryCommentRequirement: 'REVOKE_ONLY_DECISIONS',
      },
      phase: 'SIGNED',
      due: campaign.deadline,
      signed: '2026-01-28T16:42:10.000Z',
      reviewer: { id: grace.id, name: grace.name, type: 'IDENTITY', email: 'grace.hopper@example.com' },
      reassignment: null,
      hasErrors: false,
      errorMessage: null,
      completed: true,
      decisionsMade: 12,
      decisionsTotal: 12,
      entitiesCompleted: 3,
      entitiesTotal: 3,
    },
  },
  'idn:identity-created': {
    identity: ada,
    attributes: {
      firstname: 'Ada',
      lastname: 'Lovelace',
      email: 'ada.lovelace@example.com',
      department: 'Engineering',
    },
  },
  'idn:identity-attributes-changed': {
    identity: ada,
    changes: [
      { attribute: 'department', oldValue: 'Research', newValue: 'Engineering' },
      {
        attribute: 'manager',
        oldValue: null,
        newValue: { type: 'IDENTITY', id: grace.id, name: grace.name },
      },
    ],
  },
  'idn:identity-deleted': { identity: ada, attributes: { firstname: 'Ada', lastname: 'Lovelace' } },
  'idn:outlier-detected': { identity: ada, outlierType: 'LOW_SIMILARITY', score: 0.92 },
  'idn:machine-identity-created': { eventType: 'MACHINE_IDENTITY_CREATED', machineIdentity },
  'idn:machine-identity-updated': {
    eventType: 'MACHINE_IDENTITY_UPDATED',
    machineIdentity,
    machineIdentityChangeTypes: ['OWNERS_ADDED'],
    userEntitlementChanges: { added: [], removed: [] },
    ownerChanges: {
      added: [{ type: 'IDENTITY', id: ada.id, name: ada.name, isPrimary: false }],
      removed: [],
    },
    singleValueAttributeChanges: null,
  },
  'idn:machine-identity-deleted': { eventType: 'MACHINE_IDENTITY_DELETED', machineIdentity },
  'idn:post-provisioning': {
    trackingNumber: '8d5b2e9f4c1a4b7e9d3f6a0c2e8b5d1f',
    sources: 'Corp Active Directory, Workday HR',
    action: 'AccessRequest',
    errors: null,
    warnings: null,
    recipient: ada,
    requester: grace,
    accountRequests: [
      {
        source: adSource,
        accountId: adaAccount.nativeIdentity,
        accountOperation: 'Modify',
        provisioningResult: 'SUCCESS',
        provisioningTarget: 'Corp Active Directory',
        ticketId: null,
        attributeRequests: [
          {
            attributeName: 'memberOf',
            attributeValue: 'CN=Payroll-Read,DC=corp,DC=example',
            operation: 'Add',
          },
        ],
      },
    ],
  },
  'idn:source-created': {
    id: adSource.id,
    name: adSource.name,
    type: 'DIRECT_CONNECT',
    created: when,
    connector: 'active-directory',
    actor: grace,
  },
  'idn:source-updated': {
    id: adSource.id,
    name: adSource.name,
    type: 'DIRECT_CONNECT',
    modified: later,
    connector: 'active-directory',
    actor: grace,
  },
  'idn:source-deleted': {
    id: adSource.id,
    name: adSource.name,
    type: 'DIRECT_CONNECT',
    deleted: later,
    connector: 'active-directory',
    actor: grace,
  },
  'idn:va-cluster-status-change': {
    created: when,
    type: 'CLUSTER',
    application: { id: '5e6f7a8b9c0d4e1f', name: 'Datacenter East VA cluster', attributes: null },
    healthCheckResult: {
      message: 'All virtual appliances healthy',
      resultType: 'VA_CLUSTER_HEALTHY',
      status: 'Succeeded',
    },
    previousHealthCheckResult: {
      message: 'One virtual appliance unreachable',
      resultType: 'VA_CLUSTER_DEGRADED',
      status: 'Failed',
    },
  },
  'idn:saved-search-complete': {
    fileName: 'Weekly-New-Hires.zip',
    ownerEmail: 'grace.hopper@example.com',
    ownerName: 'Grace Hopper',
    query: 'attributes.startDate:[now-7d TO now]',
    searchName: 'Weekly new hires',
    searchResults: {
      Identity: { count: '1', noun: 'identities', preview: [['Ada Lovelace', 'Engineering']] },
    },
    signedS3Url: 'https://reports.example.com/weekly-new-hires.zip?signature=sample',
  },
  'idn:form-submitted': {
    submittedAt: when,
    tenantId: 'c3d4e5f6a7b84c9d',
    formInstanceId: '0a1b2c3d4e5f4a6b',
    formDefinitionId: '9f8e7d6c5b4a4938',
    name: 'Laptop request',
    createdBy: { type: 'WORKFLOW_EXECUTION', id: '7c6b5a4938274615' },
    submittedBy: ada,
    formData: { model: '14-inch', reason: 'Replacement for a failing battery' },
  },
  'idn:sod-violation-created': { ...violation, status: 'Open' },
  'idn:sod-violation-reopened': {
    ...violation,
    modified: later,
    previousStatus: 'Mitigated',
    currentStatus: 'Open',
    reason: 'Applied Control Expired',
  },
  'idn:sod-violation-mitigated': {
    ...violation,
    modified: later,
    status: 'Mitigated',
    expiration: '2026-06-30T00:00:00.000Z',
    appliedControls: [
      {
        id: 'ac-1',
        appliedDate: later,
        applier: { id: grace.id, type: 'IDENTITY' },
        comments: 'Quarterly payment review by Finance',
        control: { id: 'cc-payments-review', type: 'COMPENSATING_CONTROL' },
        expiration: '2026-06-30T00:00:00.000Z',
        status: 'Active',
        violation: violation.id,
        workflowId: null,
      },
    ],
  },
  'idn:sod-violation-closed': {
    ...violation,
    modified: later,
    previousStatus: 'Open',
    currentStatus: 'Closed',
  },
  'idn:ciem-auto-include-scope-setting-changed': {
    ...ciem,
    event: 'AUTO_INCLUDE_SCOPE_SETTING_CHANGED',
    identityId: grace.id,
    identityDisplayName: grace.name,
  },
  'idn:ciem-new-scope-detected': {
    ...ciem,
    event: 'NEW_SCOPE_DETECTED',
    org: 'o-a1b2c3d4e5',
    scopesDiscovered: [{ name: 'sandbox-account', nativeId: '123456789012' }],
    scopesEnabled: false,
    total: 1,
    truncated: false,
  },
  'idn:ciem-scope-selection-changed': {
    ...ciem,
    identityId: grace.id,
    identityDisplayName: grace.name,
    scopesModified: [{ name: 'prod-account', nativeId: '210987654321' }],
    total: 1,
    truncated: false,
  },
}

type RequestResponseId = {
  [Id in TriggerId]: TriggerOutput<Id> extends never ? never : Id
}[TriggerId]

/** The sample decision of every request-response trigger. */
export const sampleOutputs: { [Id in RequestResponseId]: TriggerOutput<Id> } = {
  'idn:access-request-pre-approval': {
    approved: true,
    comment: 'Within the standard access policy',
    approver: 'svc-access-policy',
  },
  'idn:access-request-dynamic-approver': { id: grace.id, name: grace.name, type: 'IDENTITY' },
}
