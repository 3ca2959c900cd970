import { once } from 'node:events'
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { createMemoryDedupeStore } from '../dedupe/dedupe.js'
import { TriggerConfigError } from '../errors.js'
import { bearer, TEST_TOKEN } from '../fixtures.test-helper.js'
import { toNodeErrorHandler, toNodeHandler } from '../node/node-handler.js'
import { defineTrigger } from '../schemas/define-trigger.js'
import { createTriggerReceiver, type TriggerReceiverOptions } from './receiver.js'
import { REJECTION_HOOK_BUDGET_MS, type TriggerRejection } from './rejection.js'

const userCreated = defineTrigger({
  id: 'acme:user-created',
  type: 'fire-and-forget',
  input: z.looseObject({ user: z.looseObject({ id: z.string() }) }),
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
/** Fails the schema (`user.id` is a number) and carries a secret-looking value. */
const invalid = JSON.stringify({ user: { id: 42, password: SECRET } })
const invalidDelivery = { method: 'POST', headers, body: invalid, trigger: 'user-created' }

function loggerSpy() {
  return { error: vi.fn(), warn: vi.fn() }
}

function receiverWith(options: Partial<TriggerReceiverOptions>) {
  return createTriggerReceiver({ auth, logger: false, ...options }).on(userCreated, () => {})
}

const expectedReply = () => receiverWith({}).handle(invalidDelivery)

/** Lets pending I/O callbacks and microtasks run, a few rounds. */
async function turns(n = 5) {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

afterEach(() => {
  vi.useRealTimers()
})

describe('onRejected: when it runs', () => {
  it('runs before the reply, which waits for its promise', async () => {
    let release = () => {}
    const events: string[] = []
    const receiver = receiverWith({
      onRejected: () => {
        events.push('hook')
        return new Promise<void>((resolve) => {
          release = () => {
            events.push('stored')
            resolve()
          }
        })
      },
    })
    const replied = receiver.handle(invalidDelivery).then((reply) => {
      events.push('reply')
      return reply
    })
    await turns()
    expect(events).toEqual(['hook'])
    release()
    expect(await replied).toEqual(await expectedReply())
    expect(events).toEqual(['hook', 'stored', 'reply'])
  })

  it('a hook that never settles holds the reply for the budget only', async () => {
    vi.useFakeTimers()
    const logger = loggerSpy()
    const receiver = receiverWith({ logger, onRejected: () => new Promise(() => {}) })
    let reply: unknown
    void receiver.handle(invalidDelivery).then((r) => {
      reply = r
    })
    await vi.advanceTimersByTimeAsync(REJECTION_HOOK_BUDGET_MS - 1)
    expect(reply).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    expect(reply).toEqual(await expectedReply())
    expect(logger.warn.mock.calls[0]?.[0]).toContain('did not settle')
  })

  it.each([
    [
      'throws',
      () => {
        throw new TypeError(`cannot store ${SECRET}`)
      },
    ],
    ['rejects', () => Promise.reject(new RangeError('store down'))],
  ])('a hook that %s is logged (name and message) and the reply is the same', async (_, hook) => {
    const logger = loggerSpy()
    const reply = await receiverWith({ logger, onRejected: hook }).handle(invalidDelivery)
    expect(reply).toEqual(await expectedReply())
    expect(logger.error).toHaveBeenCalledTimes(1)
    const [message, details] = logger.error.mock.calls[0] ?? []
    expect(message).toContain('onRejected failed')
    expect(details).toMatchObject({ trigger: 'user-created', status: 400, code: 'INVALID_PAYLOAD' })
    expect(details.error).toEqual({
      name: expect.stringMatching(/TypeError|RangeError/),
      message: expect.any(String),
    })
    expect(JSON.stringify(logger.error.mock.calls)).not.toContain('"id":42')
  })

  it('a hook cannot change the reply by changing what it was given', async () => {
    let seen = 0
    const reply = await receiverWith({
      onRejected: (rejection) => {
        seen = rejection.issues.length
        rejection.issues.length = 0
      },
    }).handle(invalidDelivery)
    expect(seen).toBe(1)
    expect(reply).toEqual(await expectedReply())
  })
})

describe('onRejected: a delivery after close()', () => {
  it('is refused (503 SHUTTING_DOWN) and handed to onRejected with its body; without credentials, 401', async () => {
    const rejections: TriggerRejection[] = []
    const handled: unknown[] = []
    const receiver = createTriggerReceiver({
      auth,
      logger: false,
      onRejected: (rejection) => {
        rejections.push(rejection)
      },
    }).on(userCreated, (input) => {
      handled.push(input)
    })
    await receiver.close()
    const valid = '{"user":{"id":"u1"}}'
    const reply = await receiver.handle({ method: 'POST', headers, body: valid, trigger: 'user-created' })
    expect(reply.status).toBe(503)
    expect(JSON.parse(reply.body).error.code).toBe('SHUTTING_DOWN')
    expect(rejections).toEqual([
      expect.objectContaining({ trigger: 'user-created', status: 503, code: 'SHUTTING_DOWN', body: valid }),
    ])
    const anonymous = { method: 'POST', headers: {}, body: valid, trigger: 'user-created' }
    expect((await receiver.handle(anonymous)).status).toBe(401)
    expect(rejections).toHaveLength(1)
    expect(handled).toEqual([])
  })
})

describe('onRejected: what it never sees', () => {
  it('unauthenticated (401), not POST (405), a failed handler (500) or a duplicate (409)', async () => {
    const onRejected = vi.fn()
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const receiver = createTriggerReceiver({
      auth,
      logger: false,
      onRejected,
      dedupe: { store: createMemoryDedupeStore() },
    })
      .on(userCreated, () => {
        throw new Error('downstream down')
      })
      .on(approval, () => gate.then(() => ({ approved: true })))
    const wrong = { ...headers, authorization: bearer('wrong-token') }
    expect((await receiver.handle({ ...invalidDelivery, headers: wrong })).status).toBe(401)
    expect((await receiver.handle({ ...invalidDelivery, headers: {} })).status).toBe(401)
    expect((await receiver.handle({ ...invalidDelivery, method: 'GET' })).status).toBe(405)
    const valid = { method: 'POST', headers, body: '{"user":{"id":"u1"}}', trigger: 'user-created' }
    expect((await receiver.handle(valid)).status).toBe(500)
    // A SYNC delivery holds its dedupe claim while its handler waits; the same one again is a 409.
    const body = JSON.stringify({
      item: 'x',
      _metadata: { triggerId: 'acme:approval', invocationId: 'inv-1' },
    })
    const first = receiver.handle({ method: 'POST', headers, body, trigger: 'approval' })
    await turns()
    expect((await receiver.handle({ method: 'POST', headers, body, trigger: 'approval' })).status).toBe(409)
    release()
    expect((await first).status).toBe(200)
    expect(onRejected).not.toHaveBeenCalled()
    // The same refused body, authenticated, does reach it.
    expect((await receiver.handle(invalidDelivery)).status).toBe(400)
    expect(onRejected).toHaveBeenCalledTimes(1)
  })

  it('a non-function is refused at construction', () => {
    expect(() => receiverWith({ onRejected: 'store' as never })).toThrow(TriggerConfigError)
  })
})

describe('without onRejected', () => {
  it('logger.warn reports each refusal: trigger, status, code, issue paths and codes; no values', async () => {
    const logger = loggerSpy()
    const receiver = receiverWith({ logger })
    await receiver.handle(invalidDelivery)
    await receiver.handle({ ...invalidDelivery, body: `{"password":"${SECRET}"` })
    await receiver.handle({ method: 'POST', headers, body: invalid, trigger: `x ${SECRET}` })
    expect(logger.warn).toHaveBeenCalledTimes(3)
    expect(logger.warn.mock.calls[0]?.[1]).toEqual({
      trigger: 'user-created',
      status: 400,
      code: 'INVALID_PAYLOAD',
      issues: [{ path: 'user.id', code: 'invalid_type' }],
    })
    expect(logger.warn.mock.calls[1]?.[1]).toMatchObject({ status: 400, code: 'INVALID_JSON', issues: [] })
    expect(logger.warn.mock.calls[2]?.[1]).toMatchObject({ status: 404, code: 'UNKNOWN_TRIGGER' })
    const logged = JSON.stringify([logger.warn.mock.calls, logger.error.mock.calls])
    expect(logged).not.toContain(SECRET)
    expect(logged).not.toContain('42')
  })
})

describe('onRejected over a real HTTP server (toNodeHandler)', () => {
  const closers: (() => void)[] = []
  afterEach(() => {
    for (const close of closers.splice(0)) close()
  })

  async function serve(handler: Parameters<typeof createServer>[1]) {
    const server = createServer(handler)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    closers.push(() => server.close())
    return (server.address() as AddressInfo).port
  }

  /** POSTs `parts` as a chunked (streamed) body and resolves with the status and reply body. */
  function post(port: number, path: string, parts: string[], extra: Record<string, string> = {}) {
    const req = httpRequest({
      port,
      host: '127.0.0.1',
      method: 'POST',
      path,
      headers: { ...headers, ...extra },
    })
    const done = once(req, 'response').then(async (args) => {
      const res = args[0] as IncomingMessage
      let text = ''
      for await (const chunk of res) text += chunk
      return { status: res.statusCode, body: text }
    })
    req.on('error', () => {})
    for (const part of parts) req.write(part)
    req.end()
    return done
  }

  it('a streamed body refused by the schema, and one over the limit: the bytes received', async () => {
    const rejections: TriggerRejection[] = []
    const receiver = receiverWith({
      bodyLimit: 1024,
      onRejected: async (rejection) => {
        await new Promise((resolve) => setImmediate(resolve))
        rejections.push(rejection)
      },
    })
    const port = await serve(toNodeHandler(receiver, { path: '/isc/triggers' }))
    const parts = [invalid.slice(0, 10), invalid.slice(10)]
    const refused = await post(port, '/isc/triggers/user-created', parts)
    expect(refused.status).toBe(400)
    expect(JSON.parse(refused.body).error.issues[0].path).toBe('user.id')
    expect(rejections[0]).toMatchObject({ trigger: 'user-created', status: 400, code: 'INVALID_PAYLOAD' })
    expect(Buffer.from(rejections[0]?.body ?? '').toString()).toBe(invalid)

    const big = await post(port, '/isc/triggers/user-created', ['x'.repeat(600), 'y'.repeat(600)])
    expect(big.status).toBe(413)
    expect(Buffer.from(rejections[1]?.body ?? '').toString()).toBe('x'.repeat(600) + 'y'.repeat(424))
  })

  it('a body parser that failed (express.json()): the text it kept on its error', async () => {
    const rejections: TriggerRejection[] = []
    const receiver = receiverWith({ onRejected: (rejection) => void rejections.push(rejection) })
    const onError = toNodeErrorHandler(receiver)
    const port = await serve((req, res) => {
      let text = ''
      req.on('data', (chunk) => {
        text += chunk
      })
      req.on('end', () => {
        const error = Object.assign(new SyntaxError('Unexpected end'), {
          type: 'entity.parse.failed',
          body: text,
        })
        onError(error, req, res, () => res.end())
      })
    })
    const reply = await post(port, '/user-created', ['{"user":', '{"id":'])
    expect(reply.status).toBe(400)
    expect(rejections[0]).toMatchObject({
      trigger: 'user-created',
      code: 'INVALID_JSON',
      body: '{"user":{"id":',
    })
  })
})
