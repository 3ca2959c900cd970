// Triggers, credentials and deliveries shared by core's queue tests. Test-only: not part of the
// package.
import { z } from 'zod'
import { bearer, TEST_TOKEN } from '../fixtures.test-helper.js'
import type { TriggerRequest } from '../receiver/receiver.js'
import { defineTrigger } from '../schemas/define-trigger.js'

export const auth = { type: 'bearer', tokens: [TEST_TOKEN] } as const
export const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }

/**
 * A fire-and-forget trigger whose schema changes what it parses (unknown keys stripped, `source`
 * defaulted): what was received and what the schema made can be told apart.
 */
export const userCreated = defineTrigger({
  id: 'acme:user-created',
  type: 'fire-and-forget',
  input: z.object({ user: z.object({ id: z.string() }), source: z.string().default('isc') }),
})

/** A request-response trigger whose output schema also changes what it parses (`comment` defaulted). */
export const approval = defineTrigger({
  id: 'acme:approval',
  type: 'request-response',
  input: z.object({ item: z.string() }),
  output: z.object({ approved: z.boolean(), comment: z.string().default('none') }),
})

/** A value that must never appear in a reply. */
export const PAYLOAD_SECRET = 'hunter2-never-in-a-reply'
export const INVOCATION_SECRET = 'c0ffee00-1234-4567-89ab-cdef01234567'
export const INVOCATION_ID = '0f2b7c1e-5d6a-4c1b-9a3e-2b7d4e6f8a90'
export const ISC_CALLBACK = `https://acme.api.identitynow.com/beta/trigger-invocations/${INVOCATION_ID}/complete`

/** The fire-and-forget payload: a key no schema declares, a secret-looking value, and `_metadata`. */
export function userCreatedBody() {
  return {
    user: { id: 'u-1', password: PAYLOAD_SECRET },
    addedByIscLater: { kept: true },
    _metadata: { triggerId: 'acme:user-created' },
  }
}

/** The request-response payload with `_metadata` as ISC sends it; `metadata` overrides its fields. */
export function approvalBody(metadata: Record<string, string | undefined> = {}) {
  return {
    item: 'engineering-access',
    extra: PAYLOAD_SECRET,
    _metadata: {
      triggerId: 'acme:approval',
      triggerType: 'requestResponse',
      secret: INVOCATION_SECRET,
      callbackURL: ISC_CALLBACK,
      ...metadata,
    },
  }
}

/** A POST of `body` (serialised) to the trigger named `trigger`. */
export function post(trigger: string, body: unknown): TriggerRequest & { body: string } {
  return { method: 'POST', headers, body: JSON.stringify(body), trigger }
}
