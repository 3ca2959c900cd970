// The account triggers: aggregation, correlation, account changes, native changes and source accounts.
import { ada, adaAccount, adSource, grace, later, type SampleInputs, when } from './shared.js'

const hrSource = { type: 'SOURCE', id: '7b1c0e5f2d4a4c6e8f0a1b2c3d4e5f60', name: 'Workday HR' } as const
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

export const accountInputs = {
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
} satisfies Partial<SampleInputs>
