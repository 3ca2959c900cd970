import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createMemoryDedupeStore } from '../dedupe/dedupe.js'
import { bearer, TEST_TOKEN } from '../fixtures.test-helper.js'
import { defineTrigger } from '../schemas/define-trigger.js'
import { createTriggerReceiver, type TriggerReceiverOptions, type TriggerRequest } from './receiver.js'
import type { TriggerRejection } from './rejection.js'

// Triggers of the tests' own, so catalog changes do not move these tests.
const userCreated = defineTrigger({
  id: 'acme:user-created',
  type: 'fire-and-forget',
  input: z.looseObject({ user: z.looseObject({ id: z.string(), name: z.string() }) }),
})
const approval = defineTrigger({
  id: 'acme:approval',
  type: 'request-response',
  input: z.looseObject({ item: z.string() }),
  output: z.object({ approved: z.boolean() }),
})

const SECRET = 'hunter2-do-not-log'
const auth = { type: 'bearer', tokens: [TEST_TOKEN] } as const
const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }

/** A receiver with handlers for both test triggers; `onRejected` records what it is given. */
function receiverWith(options: Partial<TriggerReceiverOptions> = {}) {
  const rejections: TriggerRejection[] = []
  const receiver = createTriggerReceiver({
    auth,
    logger: false,
    onRejected: (rejection) => {
      rejections.push(rejection)
    },
    ...options,
  })
    .on(userCreated, () => {})
    .on(approval, () => ({ approved: true }), { mode: 'async' })
  return { receiver, rejections }
}

/** What the same delivery gets from a receiver without the hook: the reply must not change. */
async function plainReply(request: TriggerRequest, options: Partial<TriggerReceiverOptions> = {}) {
  return receiverWith({ ...options, onRejected: undefined }).receiver.handle(request)
}

const chunks = (...parts: (string | Buffer)[]) => Readable.from(parts.map((part) => Buffer.from(part)))

describe('onRejected: each refusal, with the raw body as received', () => {
  it('malformed JSON: the bytes as they came', async () => {
    const { receiver, rejections } = receiverWith()
    const body = Buffer.from(`{"user":{"id":"${SECRET}"`)
    const request = { method: 'POST', headers, body, trigger: 'user-created' }
    const reply = await receiver.handle(request)
    expect(reply.status).toBe(400)
    expect(reply).toEqual(await plainReply(request))
    expect(rejections).toEqual([
      {
        trigger: 'user-created',
        status: 400,
        code: 'INVALID_JSON',
        issues: [],
        body,
        receivedAt: expect.any(Date),
      },
    ])
    expect(rejections[0]?.body).toBe(body)
  })

  it('schema failure: the string, with the issues the reply lists', async () => {
    const { receiver, rejections } = receiverWith()
    const body = JSON.stringify({ user: { id: 42, name: SECRET } })
    const request = { method: 'POST', headers, body, trigger: 'acme:user-created' }
    const reply = await receiver.handle(request)
    expect(reply).toEqual(await plainReply(request))
    const sent = JSON.parse(reply.body).error
    expect(sent.code).toBe('INVALID_PAYLOAD')
    expect(rejections).toEqual([
      {
        trigger: 'acme:user-created',
        status: 400,
        code: 'INVALID_PAYLOAD',
        issues: sent.issues,
        body,
        receivedAt: expect.any(Date),
      },
    ])
    expect(sent.issues.map((issue: { path: string }) => issue.path)).toEqual(['user.id'])
  })

  it('an object a body parser made: JSON.stringify of it', async () => {
    const { receiver, rejections } = receiverWith()
    const body = { user: { id: 7 } }
    const reply = await receiver.handle({ method: 'POST', headers, body, trigger: 'user-created' })
    expect(reply.status).toBe(400)
    expect(rejections[0]).toMatchObject({ code: 'INVALID_PAYLOAD', body: '{"user":{"id":7}}' })
  })

  it('unknown trigger, decided before the body is read: the stream is read for the hook', async () => {
    const { receiver, rejections } = receiverWith()
    const request = () => ({ method: 'POST', headers, body: chunks('{"a":', '1}'), trigger: 'idn:brand-new' })
    const reply = await receiver.handle(request())
    expect(reply.status).toBe(404)
    expect(reply).toEqual(await plainReply(request()))
    expect(rejections).toEqual([
      {
        trigger: 'idn:brand-new',
        status: 404,
        code: 'UNKNOWN_TRIGGER',
        issues: [],
        body: Buffer.from('{"a":1}'),
        receivedAt: expect.any(Date),
      },
    ])
  })

  it('no handler: a catalog trigger named in the URL, or in _metadata, or no trigger at all', async () => {
    const { receiver, rejections } = receiverWith()
    const send = (body: string, trigger?: string) =>
      receiver.handle({ method: 'POST', headers, body, trigger })
    const viaMetadata = JSON.stringify({ _metadata: { triggerId: 'idn:identity-created' } })
    expect((await send('{}', 'identity-created')).status).toBe(404)
    expect((await send(viaMetadata)).status).toBe(404)
    expect((await send('{}')).status).toBe(404)
    expect(rejections.map(({ trigger, code, body }) => ({ trigger, code, body }))).toEqual([
      { trigger: 'identity-created', code: 'UNKNOWN_TRIGGER', body: '{}' },
      { trigger: 'idn:identity-created', code: 'UNKNOWN_TRIGGER', body: viaMetadata },
      { trigger: undefined, code: 'UNKNOWN_TRIGGER', body: '{}' },
    ])
  })

  it('415 content type: the stream as it came', async () => {
    const { receiver, rejections } = receiverWith()
    const request = () => ({
      method: 'POST',
      headers: { ...headers, 'content-type': 'text/plain' },
      body: chunks('user=', SECRET),
      trigger: 'user-created',
    })
    const reply = await receiver.handle(request())
    expect(reply.status).toBe(415)
    expect(reply).toEqual(await plainReply(request()))
    expect(rejections[0]).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', issues: [] })
    expect(rejections[0]?.body).toEqual(Buffer.from(`user=${SECRET}`))
  })

  it('415 compressed body: the compressed bytes, never inflated', async () => {
    const { receiver, rejections } = receiverWith()
    const gzipped = gzipSync(JSON.stringify({ user: { id: 'u1', name: 'Ada' } }))
    const request = () => ({
      method: 'POST',
      headers: { ...headers, 'content-encoding': 'gzip' },
      body: Readable.from([gzipped.subarray(0, 10), gzipped.subarray(10)]),
      trigger: 'user-created',
    })
    const reply = await receiver.handle(request())
    expect(reply).toEqual(await plainReply(request()))
    expect(rejections[0]).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' })
    expect(rejections[0]?.body).toEqual(gzipped)
  })

  it('413, a body in memory: given whole', async () => {
    const { receiver, rejections } = receiverWith({ bodyLimit: 64 })
    const body = Buffer.from(JSON.stringify({ user: { id: 'x'.repeat(100), name: 'n' } }))
    const request = { method: 'POST', headers, body, trigger: 'user-created' }
    const reply = await receiver.handle(request)
    expect(reply.status).toBe(413)
    expect(reply).toEqual(await plainReply(request, { bodyLimit: 64 }))
    expect(rejections[0]).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE', issues: [] })
    expect(rejections[0]?.body).toBe(body)
  })

  it('413, a streamed body: its first bodyLimit bytes; from Content-Length alone: empty', async () => {
    const { receiver, rejections } = receiverWith({ bodyLimit: 64 })
    const parts = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)]
    const streamed = () => ({ method: 'POST', headers, body: chunks(...parts), trigger: 'user-created' })
    const reply = await receiver.handle(streamed())
    expect(reply).toEqual(await plainReply(streamed(), { bodyLimit: 64 }))
    expect(rejections[0]).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' })
    expect(rejections[0]?.body).toEqual(Buffer.from(parts.join('').slice(0, 64)))

    const declared = { ...headers, 'content-length': '120' }
    await receiver.handle({
      method: 'POST',
      headers: declared,
      body: chunks(...parts),
      trigger: 'user-created',
    })
    expect(rejections[1]).toMatchObject({ status: 413, body: new Uint8Array(0) })
  })

  it('413 through fetch(): a Web stream, cut at the limit', async () => {
    const { receiver, rejections } = receiverWith({ bodyLimit: 64 })
    const response = await receiver.fetch(
      new Request('http://127.0.0.1/', { method: 'POST', headers, body: 'z'.repeat(200) }),
      'user-created',
    )
    expect(response.status).toBe(413)
    expect(Buffer.from(rejections[0]?.body ?? '')).toEqual(Buffer.from('z'.repeat(64)))
  })

  it('an incomplete or a stalled body: what had arrived', async () => {
    const { receiver, rejections } = receiverWith({ bodyTimeoutMs: 20 })
    const broken = new Readable({ read() {} })
    broken.push('{"user":')
    setImmediate(() => broken.destroy(new Error('socket hang up')))
    const stalled = new Readable({ read() {} })
    stalled.push('{"us')
    const send = (body: Readable) =>
      receiver.handle({ method: 'POST', headers, body, trigger: 'user-created' })
    expect((await send(broken)).status).toBe(400)
    expect((await send(stalled)).status).toBe(408)
    expect(rejections.map(({ code, body }) => ({ code, body: String(body) }))).toEqual([
      { code: 'INCOMPLETE_BODY', body: '{"user":' },
      { code: 'REQUEST_TIMEOUT', body: '{"us' },
    ])
  })

  it('invalid callback, with and without dedupe', async () => {
    const body = JSON.stringify({ item: 'x', _metadata: { triggerId: 'acme:approval', secret: SECRET } })
    const deduped = { dedupe: { store: createMemoryDedupeStore(), key: () => 'one' } }
    for (const options of [{}, deduped]) {
      const { receiver, rejections } = receiverWith(options)
      const request = { method: 'POST', headers, body, trigger: 'approval' }
      const reply = await receiver.handle(request)
      expect(reply.status).toBe(400)
      expect(reply).toEqual(await plainReply(request))
      expect(rejections).toEqual([
        {
          trigger: 'approval',
          status: 400,
          code: 'INVALID_CALLBACK',
          issues: [],
          body,
          receivedAt: expect.any(Date),
        },
      ])
    }
  })
})
