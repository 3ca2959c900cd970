// The identity triggers, and outlier detection.
import { ada, grace, type SampleInputs } from './shared.js'

export const identityInputs = {
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
} satisfies Partial<SampleInputs>
