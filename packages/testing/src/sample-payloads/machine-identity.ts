// The machine identity triggers.
import { ada, adSource, grace, later, type SampleInputs, when } from './shared.js'

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

export const machineIdentityInputs = {
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
} satisfies Partial<SampleInputs>
