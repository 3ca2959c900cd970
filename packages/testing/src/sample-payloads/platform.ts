// Saved search completion and form submission.
import { ada, type SampleInputs, when } from './shared.js'

export const platformInputs = {
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
} satisfies Partial<SampleInputs>
