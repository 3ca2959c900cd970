// Deliveries and credentials for core's own tests, local to core so that core depends on no other
// workspace package (cross-package suites live in the private packages/tests). Test-only: not
// part of the package.

/** The bearer token the tests' receivers accept. */
export const TEST_TOKEN = 'test-token-9f2c4e'

/** `Authorization` value for a bearer token. */
export function bearer(token: string): string {
  return `Bearer ${token}`
}

/** A valid `idn:identity-created` payload, with a field no schema declares (it must be kept). */
export function identityCreatedSample() {
  return {
    identity: { type: 'IDENTITY', id: 'ee769173319b41d19ccec6c235423237b', name: 'Ada Lovelace' },
    attributes: { firstname: 'Ada', lastname: 'Lovelace', department: 'Engineering' },
    addedByIscLater: { kept: true },
  }
}

/** A valid `idn:access-request-pre-approval` payload. */
export function preApprovalSample() {
  return {
    accessRequestId: '4b4d982dddff4267ab12f0f1e72b5a6d',
    requestedFor: { type: 'IDENTITY', id: '2c4180a46faadee4016fb4e018c20626', name: 'Robert Robinson' },
    requestedItems: [
      {
        id: '2c91808b6ef1d43e016efba0ce470904',
        name: 'Engineering Access',
        description: 'Engineering Access',
        type: 'ACCESS_PROFILE',
        operation: 'Add',
        comment: 'Needed for day to day work.',
      },
    ],
    requestedBy: { type: 'IDENTITY', id: '2c7180a46faadee4016fb4e018c20648', name: 'William Wilson' },
  }
}

/** `_metadata` as ISC adds it to a request-response delivery (no invocationId: it is in the URL). */
export function invocationMetadata(triggerId: string, invocationId = '0f2b7c1e-5d6a-4c1b-9a3e-2b7d4e6f8a90') {
  return {
    triggerId,
    triggerType: 'requestResponse',
    responseMode: 'sync',
    secret: 'c0ffee00-1234-4567-89ab-cdef01234567',
    callbackURL: `https://acme.api.identitynow.com/beta/trigger-invocations/${invocationId}/complete`,
  }
}
