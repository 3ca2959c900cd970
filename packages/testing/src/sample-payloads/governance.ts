// The separation-of-duties violation triggers and the CIEM scope triggers.
import { ada, adSource, grace, later, type SampleInputs, when } from './shared.js'

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

export const governanceInputs = {
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
} satisfies Partial<SampleInputs>
