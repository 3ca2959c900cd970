import { sampleInput } from '@isc-triggers/testing'

// Deliveries for the contract suite, built from the public samples of @isc-triggers/testing.

/** A valid `idn:identity-created` payload, with a field no schema declares (it must be kept). */
export function identityCreatedSample() {
  return { ...sampleInput('idn:identity-created'), addedByIscLater: { kept: true } }
}

/** A valid `idn:access-request-pre-approval` payload. */
export function preApprovalSample() {
  return sampleInput('idn:access-request-pre-approval')
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
