import { once } from 'node:events'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { TriggerConfigError } from '../errors.js'
import { bearer, identityCreatedSample, preApprovalSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import { toNodeHandler } from '../node/node-handler.js'
import { defineTrigger } from '../schemas/define-trigger.js'
import { createTriggerReceiver, type TriggerReceiverOptions } from './receiver.js'

const auth = { type: 'bearer', tokens: [TEST_TOKEN] } as const
const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }

/** A promise the test opens by hand (core cannot import test-utils' createGate). */
function gate() {
  let open = () => {}
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** Lets pending I/O callbacks and microtasks run, a few rounds. */
async function turns(n = 5) {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

function receiverWith(options: Partial<TriggerReceiverOptions> = {}) {
  return createTriggerReceiver({ auth, logger: false, ...options })
}

describe('configuration errors fail at start-up', () => {
  it.each([
    ['no options', () => createTriggerReceiver(undefined as never)],
    ['no auth', () => createTriggerReceiver({} as never)],
    ['a zero body limit', () => receiverWith({ bodyLimit: 0 })],
    ['a body timeout that is not a number', () => receiverWith({ bodyTimeoutMs: '5' as never })],
    [
      'an id that is not in the catalog',
      () => receiverWith().on('idn:nope' as 'idn:identity-created', () => {}),
    ],
    ['a handler that is not a function', () => receiverWith().on('idn:identity-created', 'x' as never)],
    [
      'two handlers for one trigger',
      () =>
        receiverWith()
          .on('idn:identity-created', () => {})
          .on('idn:identity-created', () => {}),
    ],
    [
      'a fallback that does not match the output schema',
      () =>
        receiverWith().on(
          'idn:access-request-pre-approval',
          () => ({ approved: true, comment: '', approver: '' }),
          {
            fallback: { approved: 'no' } as never,
          },
        ),
    ],
    [
      'a budget longer than ISC waits',
      () =>
        receiverWith().on(
          'idn:access-request-pre-approval',
          () => ({ approved: true, comment: '', approver: '' }),
          {
            timeoutMs: 15_000,
          },
        ),
    ],
    [
      'an unknown mode',
      () =>
        receiverWith().on(
          'idn:access-request-pre-approval',
          () => ({ approved: true, comment: '', approver: '' }),
          {
            mode: 'later' as never,
          },
        ),
    ],
    [
      'a fallback in async mode',
      () =>
        receiverWith().on(
          'idn:access-request-pre-approval',
          () => ({ approved: true, comment: '', approver: '' }),
          {
            mode: 'async',
            fallback: { approved: false, comment: '', approver: '' },
          } as never,
        ),
    ],
    [
      'a timeout in async mode',
      () =>
        receiverWith().on(
          'idn:access-request-pre-approval',
          () => ({ approved: true, comment: '', approver: '' }),
          {
            mode: 'async',
            timeoutMs: 100,
          } as never,
        ),
    ],
    ['completion credentials without a secret', () => receiverWith({ completion: { clientId: 'x' } })],
    [
      'an allowed callback origin that is not a URL',
      () => receiverWith({ completion: { allowedCallbackOrigins: ['x'] } }),
    ],
    [
      'options on a fire-and-forget handler',
      () => receiverWith().on('idn:identity-created', () => {}, { timeoutMs: 5 } as never),
    ],
    [
      'defineTrigger without a schema',
      () => defineTrigger({ id: 'acme:x', type: 'fire-and-forget', input: {} as never }),
    ],
    [
      'defineTrigger: request-response without output',
      () => defineTrigger({ id: 'acme:x', type: 'request-response', input: z.object({}) } as never),
    ],
    [
      'defineTrigger: a bad id',
      () => defineTrigger({ id: 'has space', type: 'fire-and-forget', input: z.object({}) }),
    ],
  ])('%s', (_name, build) => {
    expect(build).toThrow(TriggerConfigError)
  })
})

describe('triggers outside the catalog', () => {
  it('receives a trigger described with defineTrigger, by full id or name', async () => {
    const custom = defineTrigger({
      id: 'acme:badge-issued',
      type: 'fire-and-forget',
      input: z.looseObject({ badge: z.string() }),
    })
    const seen: string[] = []
    const receiver = receiverWith().on(custom, (input) => {
      seen.push(input.badge)
    })
    const body = JSON.stringify({ badge: 'B-1', extra: true })
    for (const trigger of ['acme:badge-issued', 'badge-issued'])
      expect((await receiver.handle({ method: 'POST', headers, body, trigger })).status).toBe(200)
    expect(seen).toEqual(['B-1', 'B-1'])
  })
})

describe('validation', () => {
  it('hands the handler what zod parses from a valid body (unknown fields kept)', async () => {
    const received: unknown[] = []
    const receiver = receiverWith().on('idn:identity-created', (input) => {
      received.push(input)
    })
    const body = identityCreatedSample()
    expect(
      (await receiver.handle({ method: 'POST', headers, body, trigger: 'identity-created' })).status,
    ).toBe(200)
    expect(received[0]).toStrictEqual(body)
  })

  it('applies the schema: the handler gets its output (here, a transform)', async () => {
    const counted = defineTrigger({
      id: 'acme:counted',
      type: 'fire-and-forget',
      input: z.looseObject({ count: z.string().transform(Number) }),
    })
    const received: unknown[] = []
    const receiver = receiverWith().on(counted, (input) => {
      received.push(input.count)
    })
    const reply = await receiver.handle({
      method: 'POST',
      headers,
      body: '{"count":"42"}',
      trigger: 'acme:counted',
    })
    expect(reply.status).toBe(200)
    expect(received).toEqual([42])
  })

  it('reports an invalid body with zod issues', async () => {
    const receiver = receiverWith().on('idn:identity-created', () => {})
    const sample = identityCreatedSample()
    const body = JSON.stringify({ ...sample, identity: { ...sample.identity, id: 7 } })
    const reply = await receiver.handle({ method: 'POST', headers, body, trigger: 'identity-created' })
    expect(reply.status).toBe(400)
    expect(JSON.parse(reply.body).error.issues).toEqual([
      {
        path: 'identity.id',
        code: 'invalid_type',
        message: 'Invalid input: expected string, received number',
      },
    ])
  })
})

describe('_metadata', () => {
  it('refuses a _metadata that is not an object, or a field that is not a string, naming the path', async () => {
    const receiver = receiverWith().on('idn:identity-created', () => {})
    for (const [metadata, path] of [
      ['oops', '_metadata'],
      [{ secret: 42 }, '_metadata.secret'],
    ] as const) {
      const body = JSON.stringify({ ...identityCreatedSample(), _metadata: metadata })
      const reply = await receiver.handle({ method: 'POST', headers, body, trigger: 'identity-created' })
      expect(reply.status).toBe(400)
      expect(JSON.parse(reply.body).error.issues[0].path).toBe(path)
      expect(reply.body).not.toContain('42')
    }
  })

  it('the path segment wins over _metadata.triggerId', async () => {
    const seen: string[] = []
    const receiver = receiverWith().on('idn:identity-created', (_input, ctx) => {
      seen.push(ctx.trigger.id)
    })
    const body = JSON.stringify({
      ...identityCreatedSample(),
      _metadata: { triggerId: 'idn:access-request-pre-approval' },
    })
    const reply = await receiver.handle({ method: 'POST', headers, body, trigger: 'identity-created' })
    expect(reply.status).toBe(200)
    expect(seen).toEqual(['idn:identity-created'])
  })
})

describe('fetch()', () => {
  it('handles a Web-standard Request and returns a Response', async () => {
    const receiver = receiverWith().on('idn:access-request-pre-approval', () => ({
      approved: false,
      comment: 'denied by policy',
      approver: 'svc',
    }))
    const request = new Request('https://svc.example/isc/triggers/access-request-pre-approval', {
      method: 'POST',
      headers,
      body: JSON.stringify(preApprovalSample()),
    })
    const response = await receiver.fetch(request, 'access-request-pre-approval')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toEqual({ approved: false, comment: 'denied by policy', approver: 'svc' })
  })

  it('enforces the limit on a streamed Request body', async () => {
    const receiver = receiverWith({ bodyLimit: 100 }).on('idn:identity-created', () => {})
    const big = JSON.stringify({ ...identityCreatedSample(), padding: 'x'.repeat(1000) })
    const stream = new Blob([big]).stream()
    const request = new Request('https://svc.example/', {
      method: 'POST',
      headers,
      body: stream,
      duplex: 'half',
    } as RequestInit)
    const response = await receiver.fetch(request, 'identity-created')
    expect(response.status).toBe(413)
  })
})

describe('a Node stream body', () => {
  it('is read whole when its Content-Length is right, and refused (400, handler not run) when it is not', async () => {
    const calls: unknown[] = []
    const receiver = receiverWith().on('idn:identity-created', (input) => {
      calls.push(input)
    })
    const body = JSON.stringify(identityCreatedSample())
    const deliver = (length: number) =>
      receiver.handle({
        method: 'POST',
        trigger: 'identity-created',
        headers: { ...headers, 'content-length': String(length) },
        body: Readable.from([Buffer.from(body)], { objectMode: false }), // a byte stream, as a request is
      })
    expect((await deliver(Buffer.byteLength(body))).status).toBe(200)
    expect(calls).toHaveLength(1)
    const short = await deliver(Buffer.byteLength(body) + 5)
    expect(short.status).toBe(400)
    expect(JSON.parse(short.body).error.code).toBe('INCOMPLETE_BODY')
    expect(calls).toHaveLength(1)
  })
})

describe('close()', () => {
  it('waits for in-flight handlers, then answers 503', async () => {
    const release = gate()
    const started = gate()
    let finished = false
    const receiver = receiverWith().on('idn:identity-created', async () => {
      started.open()
      await release.promise
      finished = true
    })
    const body = JSON.stringify(identityCreatedSample())
    const inFlight = receiver.handle({ method: 'POST', headers, body, trigger: 'identity-created' })
    await started.promise
    let closed = false
    const closing = receiver.close().then((report) => {
      closed = true
      return report
    })
    await turns()
    expect(closed).toBe(false) // the handler still runs: close() waits for it
    release.open()
    const report = await closing
    expect(report.abandoned).toBe(0)
    expect(finished).toBe(true)
    expect((await inFlight).status).toBe(200)
    const late = await receiver.handle({ method: 'POST', headers, body, trigger: 'identity-created' })
    expect(late.status).toBe(503)
    expect(JSON.parse(late.body).error.code).toBe('SHUTTING_DOWN')
  })

  it('waits for a SYNC handler that outlived its budget, and aborts what outlives the close timeout', async () => {
    const decided = gate()
    const signals: AbortSignal[] = []
    let syncFinished = false
    const receiver = receiverWith()
      .on(
        'idn:access-request-pre-approval',
        async () => {
          await decided.promise // opened only after the 504: the budget is spent by then
          syncFinished = true
          return { approved: true, comment: '', approver: 'svc' }
        },
        { timeoutMs: 10 },
      )
      .on('idn:identity-created', async (_input, ctx) => {
        signals.push(ctx.signal)
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)) // runs until aborted
      })
    const late = await receiver.handle({
      method: 'POST',
      headers,
      body: JSON.stringify(preApprovalSample()),
      trigger: 'access-request-pre-approval',
    })
    expect(late.status).toBe(504)
    void receiver.handle({
      method: 'POST',
      headers,
      body: JSON.stringify(identityCreatedSample()),
      trigger: 'identity-created',
    })
    expect(signals).toHaveLength(1) // a string body reaches the handler at once
    const closing = receiver.close({ timeoutMs: 150 })
    decided.open() // the late SYNC handler finishes in microtasks, long before close() gives up
    const report = await closing
    expect(syncFinished).toBe(true)
    expect(report.abandoned).toBe(1) // only the fire-and-forget handler, which never ends by itself
    expect(signals[0]?.aborted).toBe(true)
  })
})

describe('logging', () => {
  it('reports a failing handler without payload values or credentials', async () => {
    const logger = { error: vi.fn(), warn: vi.fn() }
    const receiver = receiverWith({ logger }).on('idn:identity-created', () => {
      throw new Error('downstream refused')
    })
    await receiver.handle({
      method: 'POST',
      headers,
      body: JSON.stringify(identityCreatedSample()),
      trigger: 'identity-created',
    })
    expect(logger.error).toHaveBeenCalledTimes(1)
    const logged =
      JSON.stringify(logger.error.mock.calls[0]?.[0]) + String(logger.error.mock.calls[0]?.[1]?.trigger)
    expect(logged).toContain('idn:identity-created')
    expect(logged).not.toContain('Ada Lovelace')
    expect(logged).not.toContain(TEST_TOKEN)
  })
})

describe('the Node bridge over a real socket', () => {
  const servers: { close(): void }[] = []
  afterEach(() => {
    for (const server of servers.splice(0)) server.close()
  })

  async function listen(options: Partial<TriggerReceiverOptions>) {
    const receiver = receiverWith(options).on('idn:identity-created', () => {})
    const server = createServer(toNodeHandler(receiver, { path: '/isc/triggers' }))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    servers.push(server)
    return (server.address() as AddressInfo).port
  }

  it('answers 413 to a chunked body (no Content-Length) as soon as it passes the limit', async () => {
    const port = await listen({ bodyLimit: 1024 })
    const req = httpRequest({
      port,
      host: '127.0.0.1',
      method: 'POST',
      path: '/isc/triggers/identity-created',
      headers,
    })
    const response = new Promise<{ status: number; body: string }>((resolve) => {
      req.on('response', (res) => {
        let body = ''
        res.on('data', (chunk) => {
          body += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
    })
    req.on('error', () => {})
    // Keep writing well past the limit; the reply must not wait for the end.
    for (let i = 0; i < 8; i++) req.write(Buffer.alloc(512, 32))
    const { status, body } = await response
    req.destroy()
    expect(status).toBe(413)
    expect(JSON.parse(body).error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('answers 408 to a body that stops arriving', async () => {
    const port = await listen({ bodyTimeoutMs: 100 })
    const req = httpRequest({
      port,
      host: '127.0.0.1',
      method: 'POST',
      path: '/isc/triggers/identity-created',
      headers: { ...headers, 'content-length': '100' },
    })
    req.on('error', () => {})
    req.write('{"identity":')
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage]
    req.destroy()
    expect(res.statusCode).toBe(408)
  })

  it('answers 404 to other paths when there is no next()', async () => {
    const port = await listen({})
    const res = await fetch(`http://127.0.0.1:${port}/elsewhere`, { method: 'POST', headers, body: '{}' })
    expect(res.status).toBe(404)
    expect((await res.json()).error.code).toBe('UNKNOWN_TRIGGER')
  })
})

describe('onUnknownTrigger', () => {
  it('receives triggers outside the catalog, unvalidated, as fire-and-forget', async () => {
    const seen: { id: string; input: unknown }[] = []
    const receiver = receiverWith({
      onUnknownTrigger: (input, ctx) => {
        seen.push({ id: ctx.trigger.id, input })
      },
    })
    const body = JSON.stringify({ anything: ['goes'] })
    const reply = await receiver.handle({ method: 'POST', headers, body, trigger: 'idn:brand-new-trigger' })
    expect(reply.status).toBe(200)
    expect(seen).toEqual([{ id: 'idn:brand-new-trigger', input: { anything: ['goes'] } }])
  })

  it('still refuses catalog triggers without a handler, odd names, and non-objects', async () => {
    const receiver = receiverWith({ onUnknownTrigger: () => {} })
    const send = (trigger: string, body = '{}') => receiver.handle({ method: 'POST', headers, body, trigger })
    expect((await send('identity-created')).status).toBe(404)
    expect((await send('no spaces allowed')).status).toBe(404)
    expect((await send('idn:brand-new', '[1]')).status).toBe(400)
  })

  it('without it, an unknown trigger is a 404', async () => {
    const reply = await receiverWith().handle({
      method: 'POST',
      headers,
      body: '{}',
      trigger: 'idn:brand-new',
    })
    expect(reply.status).toBe(404)
  })
})

describe('authenticate()', () => {
  it('checks credentials without handling the request', async () => {
    const receiver = receiverWith()
    expect(await receiver.authenticate({ Authorization: bearer(TEST_TOKEN) })).toBe(true)
    expect(await receiver.authenticate({ authorization: 'Bearer wrong' })).toBe(false)
    expect(await receiver.authenticate({})).toBe(false)
  })
})

describe('compressed bodies', () => {
  it('refuses a gzip body with 415 before reading it, over a real socket, without calling the handler', async () => {
    const { gzipSync } = await import('node:zlib')
    let calls = 0
    const receiver = receiverWith().on('idn:identity-created', () => {
      calls++
    })
    const server = createServer(toNodeHandler(receiver, { path: '/isc/triggers' }))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const port = (server.address() as AddressInfo).port
      // A small gzip body that inflates to 10 MiB: refused, never inflated.
      const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 32))
      const res = await fetch(`http://127.0.0.1:${port}/isc/triggers/identity-created`, {
        method: 'POST',
        headers: { ...headers, 'content-encoding': 'gzip' },
        body: bomb,
      })
      expect(res.status).toBe(415)
      const body = await res.json()
      expect(body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
      expect(body.error.message).toContain('uncompressed')
      expect(calls).toBe(0)
    } finally {
      server.close()
    }
  })
})

describe('hostile clients over a raw socket', () => {
  async function start(bodyTimeoutMs = 2_000) {
    let calls = 0
    const receiver = receiverWith({ bodyTimeoutMs }).on('idn:identity-created', () => {
      calls++
    })
    const server = createServer(toNodeHandler(receiver, { path: '/isc/triggers' }))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as AddressInfo).port
    return { receiver, server, port, calls: () => calls }
  }
  const head = (length: number) =>
    `POST /isc/triggers/identity-created HTTP/1.1\r\nHost: x\r\nAuthorization: ${bearer(TEST_TOKEN)}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`
  /** Sends `bytes` on a fresh connection and returns everything the server wrote until it closed. */
  async function exchange(port: number, bytes: string): Promise<string> {
    const { connect } = await import('node:net')
    const socket = connect(port, '127.0.0.1')
    await once(socket, 'connect')
    let reply = ''
    socket.on('data', (chunk) => {
      reply += chunk
    })
    socket.write(bytes)
    await once(socket, 'close')
    return reply
  }

  it('a client that disconnects mid-body leaves nothing behind: no handler call, nothing in flight', async () => {
    // The body timeout is far longer than close() waits: only the disconnect can end the read.
    const { receiver, server, port, calls } = await start(600_000)
    const { connect } = await import('node:net')
    const socket = connect(port, '127.0.0.1')
    await once(socket, 'connect')
    const arrived = once(server, 'request')
    socket.write(`${head(1000)}{"identity":{"type":"IDENTITY",`)
    const [request] = (await arrived) as [import('node:http').IncomingMessage]
    const gone = new Promise((resolve) => request.on('close', resolve)) // not once(): it rejects on 'error'
    socket.destroy()
    await gone
    const report = await receiver.close({ timeoutMs: 5_000 })
    expect(report).toMatchObject({ abandoned: 0 })
    expect(calls()).toBe(0)
    server.close()
  })

  it('a Content-Length that promises more than is sent: the body times out (408), no handler call', async () => {
    const { receiver, server, port, calls } = await start()
    const body = JSON.stringify(identityCreatedSample())
    const reply = await exchange(port, head(body.length + 50) + body)
    expect(reply).toMatch(/^HTTP\/1\.1 408/)
    expect(reply).toContain('"REQUEST_TIMEOUT"')
    expect(calls()).toBe(0)
    expect((await receiver.close({ timeoutMs: 500 })).abandoned).toBe(0)
    server.close()
  }, 10_000)

  // Node's HTTP parser reads only the declared bytes as the body (not JSON here) and rejects the rest
  // as a malformed next request with its own 400, closing the connection: either way a 400, no call.
  it('a Content-Length that declares less than is sent: 400, no handler call', async () => {
    const { server, port, calls } = await start()
    const body = JSON.stringify(identityCreatedSample())
    const reply = await exchange(port, head(10) + body)
    expect(reply).toMatch(/^HTTP\/1\.1 400/)
    expect(calls()).toBe(0)
    server.close()
  })
})
