import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { bearer, identityCreatedSample, preApprovalSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import { createTriggerReceiver, type TriggerReceiver } from '../receiver/receiver.js'
import { checkCallbackUrl, normaliseOrigins } from './callback-guard.js'

// Nothing derived from a request body produces a 5xx: arbitrary `_metadata` objects and callback
// URL strings, through receiver.handle(), in every mode. A callback URL the guard refuses (here
// above all: a malformed %-escape in its path, which once threw from decodeURIComponent) is
// 400 INVALID_CALLBACK for the modes that call back.
//
// No ASYNC or DYNAMIC handler ever settles, so no callback is ever sent; fetch is stubbed to fail
// loudly anyway.

const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }
const ALLOWED = 'http://127.0.0.1:9'
const allowed = normaliseOrigins([ALLOWED])
const FIELDS = ['triggerId', 'triggerType', 'responseMode', 'callbackURL', 'secret', 'invocationId']

const hex = fc.constantFrom(...'0123456789abcdefABCDEFxg%')
/** Percent-escapes that do not decode: truncated (`%A`, `%`), not hex (`%zz`), not UTF-8 (`%E0%A4%A`, `%FF`). */
const badEscape = fc.oneof(
  fc.constantFrom('%', '%A', '%E0%A4%A', '%FF', '%C3', '%zz', '%%', '%E0%A4', '%ED%A0%80'),
  fc.array(hex, { minLength: 1, maxLength: 4 }).map((chars) => `%${chars.join('')}`),
)
const idWithBadEscape = fc
  .tuple(fc.string({ maxLength: 8 }), badEscape, fc.string({ maxLength: 8 }))
  .map(([before, bad, after]) => `${encodeURIComponent(before)}${bad}${encodeURIComponent(after)}`)
  .filter((id) => {
    try {
      decodeURIComponent(id)
      return false
    } catch {
      return true
    }
  })
const hosts = fc.constantFrom(
  'https://acme.api.identitynow.com',
  'https://x.api.identitynow-demo.com',
  ALLOWED,
)
/** Complete-invocation URLs whose id is not valid percent-encoding: always refused. */
const badCallbackUrls = fc
  .tuple(hosts, fc.constantFrom('/beta/trigger-invocations/', '/trigger-invocations/v1/'), idWithBadEscape)
  .map(([host, prefix, id]) => `${host}${prefix}${id}/complete`)
const anyCallbackUrls = fc.oneof(
  badCallbackUrls,
  fc.string({ maxLength: 120 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.tuple(hosts, fc.string({ maxLength: 40 })).map(([host, path]) => `${host}/${path}`),
)
const fieldValue = fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 2 }), fc.constant(null))
/** `_metadata` as anything JSON can carry, and objects with ISC's fields in every shape. */
const metadata = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.constantFrom(...FIELDS, 'other', 'constructor'), fieldValue, { maxKeys: 8 }),
  fc.record(
    { callbackURL: anyCallbackUrls, secret: fc.string({ maxLength: 40 }), invocationId: fieldValue },
    { requiredKeys: ['callbackURL'] },
  ),
)

const never = () => new Promise<never>(() => {})
const receivers: Record<'async' | 'dynamic' | 'sync' | 'event', TriggerReceiver> = {} as never

beforeAll(() => {
  vi.stubGlobal('fetch', () => Promise.reject(new Error('no request may leave this test')))
  const make = () =>
    createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TEST_TOKEN] },
      logger: false,
      completion: { allowedCallbackOrigins: [ALLOWED] },
    })
  receivers.async = make().on('idn:access-request-pre-approval', never, { mode: 'async' })
  receivers.dynamic = make().on(
    'idn:access-request-pre-approval',
    (_input, ctx) => {
      ctx.defer()
      return never()
    },
    { mode: 'dynamic' },
  )
  receivers.sync = make().on('idn:access-request-pre-approval', () => ({
    approved: true,
    comment: '',
    approver: 'svc',
  }))
  receivers.event = make().on('idn:identity-created', () => {}) // its reply waits for it
})

afterAll(() => {
  vi.unstubAllGlobals()
})

async function deliver(mode: keyof typeof receivers, meta: unknown) {
  const sample = mode === 'event' ? identityCreatedSample() : preApprovalSample()
  const trigger = mode === 'event' ? 'identity-created' : 'access-request-pre-approval'
  const reply = await receivers[mode].handle({
    method: 'POST',
    headers,
    body: JSON.stringify({ ...sample, _metadata: meta }),
    trigger,
  })
  return {
    status: reply.status,
    code: reply.status === 200 || reply.status === 202 ? undefined : JSON.parse(reply.body).error.code,
  }
}

function guardAccepts(url: string): boolean {
  try {
    checkCallbackUrl(url, allowed)
    return true
  } catch {
    return false
  }
}

const modes = fc.constantFrom('async', 'dynamic', 'sync', 'event') as fc.Arbitrary<keyof typeof receivers>

describe('_metadata and callback URLs from the request body', () => {
  it('never produce a 5xx, in any mode', async () => {
    await fc.assert(
      fc.asyncProperty(modes, metadata, async (mode, meta) => {
        expect((await deliver(mode, meta)).status).toBeLessThan(500)
      }),
      { numRuns: 400 },
    )
  })

  it('a callback URL with a malformed %-escape is 400 INVALID_CALLBACK for ASYNC and DYNAMIC, and harmless otherwise', async () => {
    await fc.assert(
      fc.asyncProperty(modes, badCallbackUrls, async (mode, callbackURL) => {
        const reply = await deliver(mode, {
          callbackURL,
          secret: 's',
          triggerId: 'idn:access-request-pre-approval',
        })
        if (mode === 'async' || mode === 'dynamic')
          expect(reply).toEqual({ status: 400, code: 'INVALID_CALLBACK' })
        else expect(reply.status).toBe(200)
      }),
      { numRuns: 300 },
    )
  })

  it('an ASYNC or DYNAMIC delivery with any callback URL string: accepted exactly when the guard accepts it, else 400 INVALID_CALLBACK', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('async', 'dynamic') as typeof modes,
        anyCallbackUrls,
        async (mode, callbackURL) => {
          const reply = await deliver(mode, { callbackURL, secret: 's' })
          if (guardAccepts(callbackURL)) expect(reply.status).toBe(mode === 'async' ? 200 : 202)
          else expect(reply).toEqual({ status: 400, code: 'INVALID_CALLBACK' })
        },
      ),
      { numRuns: 400 },
    )
  })

  it('the example from the report: %E0%A4%A in the id', async () => {
    const callbackURL = 'https://acme.api.identitynow.com/beta/trigger-invocations/%E0%A4%A/complete'
    for (const mode of ['async', 'dynamic'] as const)
      expect(await deliver(mode, { callbackURL, secret: 's' })).toEqual({
        status: 400,
        code: 'INVALID_CALLBACK',
      })
    for (const mode of ['sync', 'event'] as const)
      expect((await deliver(mode, { callbackURL })).status).toBe(200)
  })
})
