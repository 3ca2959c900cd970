import type { TriggerId, TriggerInput, TriggerOutput } from '@isc-triggers/core'

// What the samples of several trigger families share: the invented people, systems and times, and
// the types of the sample tables.

/** A valid input of every catalog trigger. */
export type SampleInputs = { [Id in TriggerId]: TriggerInput<Id> }

/** Ids of the request-response triggers, the ones with an output. */
export type RequestResponseId = {
  [Id in TriggerId]: TriggerOutput<Id> extends never ? never : Id
}[TriggerId]

/** A valid output (decision) of every request-response trigger. */
export type SampleOutputs = { [Id in RequestResponseId]: TriggerOutput<Id> }

export const ada = {
  type: 'IDENTITY',
  id: 'ee769173319b41d19ccec6c235423237b',
  name: 'Ada Lovelace',
} as const
export const grace = {
  type: 'IDENTITY',
  id: '0f11f2a4a3c54b0e9c8a4cb4b2f1c0de',
  name: 'Grace Hopper',
} as const
export const adSource = {
  type: 'SOURCE',
  id: '3a9d7c1e5b2f4e8a9c0d1e2f3a4b5c6d',
  name: 'Corp Active Directory',
} as const
export const adaAccount = {
  type: 'ACCOUNT',
  id: '52bd1b7f6c6a4e1d9b3c8f0e2a4d6c81',
  name: 'ada.lovelace',
  nativeIdentity: 'CN=Ada Lovelace,OU=Engineering,DC=corp,DC=example',
  uuid: '{2f0c9f4e-6a1b-4c3d-8e5f-7a9b0c1d2e3f}',
} as const
export const when = '2026-03-02T09:15:27.118Z'
export const later = '2026-03-02T09:16:03.442Z'
