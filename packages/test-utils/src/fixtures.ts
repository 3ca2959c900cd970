// Sample deliveries written for isc-triggers' tests, shaped like SailPoint's published examples.

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
    requestedFor: { type: 'IDENTITY', id: 'ee769173319b41d19ccec6c235423237b', name: 'Ada Lovelace' },
    requestedItems: [
      {
        id: '2c9180835d2e5168015d32f890ca1581',
        name: 'Payroll Read',
        description: 'Read access to payroll reports',
        type: 'ACCESS_PROFILE',
        operation: 'Add',
        comment: 'Quarter-end reporting',
      },
    ],
    requestedBy: { type: 'IDENTITY', id: '0f11f2a4a3c54b0e9c8a4cb4b2f1c0de', name: 'Grace Hopper' },
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
