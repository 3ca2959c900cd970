import { createTriggerReceiver, TRIGGER_ERROR_STATUS, type TriggerReceiver } from '@isc-triggers/core'
import { sampleInput, sampleOutput } from '@isc-triggers/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, type HarnessRequest, type MakeHarness, MOUNT } from './adapter-contract.js'
import { bearer, TEST_TOKEN } from './credentials.js'

/** Bodies a hostile or broken client may send. */
const bodies = fc.oneof(
  fc.constant(JSON.stringify(sampleInput('idn:identity-created'))),
  fc.constant(JSON.stringify(sampleInput('idn:access-request-pre-approval'))),
  fc.json().map((text) => text),
  fc.jsonValue().map((value) => JSON.stringify({ identity: value, attributes: value })),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => `{"identity":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  fc.constant('{"identity":{"type":"IDENTITY","id":1e400,"name":"x"},"attributes":{}}'),
  fc.constant('{"identity":{"type":"IDENTITY","id":"a","id":"b","name":"x"},"attributes":{}}'),
  fc.constant('{"identity":{"type":"IDENTITY","id":"1","name":"n"},"attributes":{"__proto__":{"x":1}}}'),
  fc.constant('{"\\u005f_proto__":{"polluted":true}}'),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)), // often invalid UTF-8
  fc.constant(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])),
)

const requests: fc.Arbitrary<HarnessRequest & { authenticated: boolean }> = fc
  .record({
    method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH'),
    trigger: fc.constantFrom(
      'identity-created',
      'access-request-pre-approval',
      'idn%3Aidentity-created',
      'nope',
      '',
    ),
    auth: fc.constantFrom('valid', 'wrong', 'none', 'garbage', 'basic'),
    contentType: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'none',
    ),
    encoding: fc.constantFrom('none', 'none', 'gzip', 'identity'),
    body: bodies,
  })
  .map(({ method, trigger, auth, contentType, encoding, body }) => {
    const headers: Record<string, string> = {}
    if (auth === 'valid') headers.authorization = bearer(TEST_TOKEN)
    if (auth === 'wrong') headers.authorization = bearer('not-the-token')
    if (auth === 'garbage') headers.authorization = 'Bearer'
    if (auth === 'basic') headers.authorization = 'Basic Og=='
    if (contentType !== 'none') headers['content-type'] = contentType
    if (encoding !== 'none') headers['content-encoding'] = encoding
    return {
      method,
      path: trigger ? `${MOUNT}/${trigger}` : MOUNT,
      headers,
      body,
      authenticated: auth === 'valid',
    }
  })

const CODES = Object.keys(TRIGGER_ERROR_STATUS)

/**
 * Property tests of one way of mounting a receiver: whatever arrives, no 5xx, a JSON error body
 * with a code from the closed set, and no handler call unless the request was authenticated and
 * valid (a 200). Unhandled rejections fail the run (vitest reports them).
 *
 * @example
 * runReceiverProperties('express 5', (receiver) => httpHarness(appWith(receiver)))
 */
export function runReceiverProperties(
  name: string,
  makeHarness: MakeHarness,
  options: {
    runs?: number
    /**
     * A 4xx the framework's own body parser answers before the receiver runs (Nest's parser on
     * malformed or compressed bodies), recognised by its body. It must still be a JSON 4xx with no
     * handler call; only the error format differs.
     */
    frameworkRejection?: (body: Record<string, unknown>) => boolean
  } = {},
): void {
  const runs = options.runs ?? 150
  describe(`properties: ${name}`, () => {
    const calls: { authenticated: boolean }[] = []
    let current = { authenticated: false }
    let harness: Harness
    let receiver: TriggerReceiver
    beforeAll(async () => {
      receiver = createTriggerReceiver({
        auth: { type: 'bearer', tokens: [TEST_TOKEN] },
        logger: false,
        bodyLimit: 64 * 1024,
      })
      receiver.on('idn:identity-created', () => {
        calls.push(current)
      })
      receiver.on('idn:access-request-pre-approval', () => {
        calls.push(current)
        return sampleOutput('idn:access-request-pre-approval')
      })
      harness = await makeHarness(receiver)
    })
    afterAll(() => harness.close?.())

    it(`answers ${runs} arbitrary requests with no 5xx, a coded JSON error, and no unauthorized handler call`, async () => {
      await fc.assert(
        fc.asyncProperty(requests, async ({ authenticated, ...request }) => {
          current = { authenticated }
          const before = calls.length
          const reply = await harness.send(request)
          expect(
            reply.status,
            `${request.method} ${request.path} ${JSON.stringify(request.headers)}`,
          ).toBeLessThan(500)
          expect(reply.headers['content-type'], reply.text).toMatch(/^application\/json/)
          const body = JSON.parse(reply.text)
          const byFramework = reply.status >= 400 && options.frameworkRejection?.(body) === true
          if (reply.status >= 400 && !byFramework)
            expect(CODES, `${reply.status} ${reply.text}`).toContain(body.error?.code)
          const called = calls.length > before
          if (called) expect(authenticated && reply.status === 200).toBe(true)
          if (!authenticated) expect(called).toBe(false)
        }),
        { numRuns: runs },
      )
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    })
  })
}
