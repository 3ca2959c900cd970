// The source triggers, post-provisioning and the virtual appliance cluster status.
import { ada, adaAccount, adSource, grace, later, type SampleInputs, when } from './shared.js'

export const sourceInputs = {
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
} satisfies Partial<SampleInputs>
