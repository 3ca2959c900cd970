// The access-request triggers: pre-approval and dynamic approver (request-response), post-approval.
import { ada, grace, type SampleInputs, type SampleOutputs } from './shared.js'

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

export const accessRequestInputs = {
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
} satisfies Partial<SampleInputs>

export const accessRequestOutputs = {
  'idn:access-request-pre-approval': {
    approved: true,
    comment: 'Within the standard access policy',
    approver: 'svc-access-policy',
  },
  'idn:access-request-dynamic-approver': { id: grace.id, name: grace.name, type: 'IDENTITY' },
} satisfies SampleOutputs
