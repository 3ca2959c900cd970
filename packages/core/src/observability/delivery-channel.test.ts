import { afterEach, describe, expect, it } from 'vitest'
import { gate, within } from '../callbacks/loopback.test-helper.js'
import { bearer, TEST_TOKEN } from '../fixtures.test-helper.js'
import { toNodeHandler } from '../node/node-handler.js'
import { headers, INVOCATION_SECRET, post } from '../queue/queue-fixtures.test-helper.js'
import {
  identityBody,
  isWellFormed,
  PAYLOAD_VALUE,
  postInTwoChunks,
  preApprovalDelivery,
  recordDeliveries,
  serve,
  testReceiver,
} from './channel-recorder.test-helper.js'

// The `isc-triggers:delivery` tracing channel: one context per request, whatever its outcome,
// events in TracingChannel's order, `status` set before the last event, and nothing secret in it.

const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

/** A receiver with a fire-and-forget handler (sync or async) and a SYNC request-response one. */
function receiver(handler: (input: { identity: { name: string } }) => unknown = () => {}) {
  const r = testReceiver()
  r.on('idn:identity-created', handler)
  r.on('idn:access-request-pre-approval', () => ({ approved: true, comment: 'ok', approver: 'svc' }))
  closers.push(() => r.close())
  return r
}

/** The one delivery context recorded, checked for its shape; its event names and final fields. */
function onlyTrace(recorder: ReturnType<typeof recordDeliveries>) {
  const [context, ...more] = recorder.started()
  expect(more).toHaveLength(0)
  if (context === undefined) throw new Error('no delivery context was published')
  const sequence = recorder.sequence(context)
  expect(isWellFormed(sequence), sequence.join(',')).toBe(true)
  return { sequence, last: recorder.last(context), recorder, context }
}

describe('one delivery on the isc-triggers:delivery channel', () => {
  it('200 fire-and-forget, handler returns at once: start, end; end carries the outcome', async () => {
    const recorder = recordDeliveries()
    const reply = await receiver().handle(post('identity-created', identityBody()))
    expect(reply.status).toBe(200)
    const { sequence, last } = onlyTrace(recorder)
    expect(sequence).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
    expect(last).toEqual({
      trigger: 'idn:identity-created',
      type: 'fire-and-forget',
      mode: undefined,
      invocationId: undefined,
      status: 200,
      errorCode: undefined,
      queued: false,
    })
  })

  it('200 fire-and-forget, async handler: start, end (no status yet), asyncStart, asyncEnd (status 200)', async () => {
    const recorder = recordDeliveries()
    const reply = await receiver(async () => {}).handle(post('identity-created', identityBody()))
    expect(reply.status).toBe(200)
    const { sequence, context } = onlyTrace(recorder)
    expect(sequence).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
    const at = (event: string) => recorder.events.find((e) => e.context === context && e.event === event)
    expect(at('end')?.snapshot).toMatchObject({ trigger: 'idn:identity-created', status: undefined })
    expect(at('asyncStart')?.snapshot).toMatchObject({ status: 200 })
    expect(at('asyncEnd')?.snapshot).toMatchObject({ status: 200, errorCode: undefined })
  })

  it('401: trigger unset, errorCode UNAUTHORIZED, no error event', async () => {
    const recorder = recordDeliveries()
    const request = {
      ...post('identity-created', identityBody()),
      headers: { ...headers, authorization: 'Bearer nope' },
    }
    const reply = await receiver().handle(request)
    expect(reply.status).toBe(401)
    const { sequence, last } = onlyTrace(recorder)
    expect(sequence).not.toContain('error')
    expect(last).toMatchObject({
      trigger: undefined,
      type: undefined,
      status: 401,
      errorCode: 'UNAUTHORIZED',
    })
  })

  it('400 schema violation: trigger set, errorCode INVALID_PAYLOAD', async () => {
    const recorder = recordDeliveries()
    const reply = await receiver().handle(
      post('identity-created', { identity: { id: 7, name: PAYLOAD_VALUE } }),
    )
    expect(reply.status).toBe(400)
    const { sequence, last } = onlyTrace(recorder)
    expect(sequence).not.toContain('error')
    expect(last).toMatchObject({ trigger: 'idn:identity-created', status: 400, errorCode: 'INVALID_PAYLOAD' })
  })

  it.each([
    [
      'throws',
      (input: { identity: { name: string } }) => {
        throw new Error(`no account for ${input.identity.name}`, { cause: new Error(PAYLOAD_VALUE) })
      },
      ['start', 'end', 'error', 'asyncStart', 'asyncEnd'],
    ],
    [
      'rejects',
      async (input: { identity: { name: string } }) => {
        throw new Error(`no account for ${input.identity.name}`, { cause: new Error(PAYLOAD_VALUE) })
      },
      ['start', 'end', 'error', 'asyncStart', 'asyncEnd'],
    ],
  ])(
    '500, the handler %s: an error event with HANDLER_FAILED, without the handler message or cause',
    async (_name, handler, order) => {
      const recorder = recordDeliveries()
      const reply = await receiver(handler).handle(post('identity-created', identityBody()))
      expect(reply.status).toBe(500)
      const { sequence, last } = onlyTrace(recorder)
      expect(sequence).toEqual(order)
      expect(last).toMatchObject({
        trigger: 'idn:identity-created',
        status: 500,
        errorCode: 'HANDLER_FAILED',
      })
      const error = recorder.events.find((e) => e.event === 'error')?.snapshot
      expect(error).toMatchObject({
        status: 500,
        errorCode: 'HANDLER_FAILED',
        error: { code: 'HANDLER_FAILED' },
      })
      expect(recorder.text()).not.toContain(PAYLOAD_VALUE)
      expect(recorder.text()).not.toContain('no account for')
    },
  )

  it('a SYNC request-response delivery: type, mode sync and the invocation id', async () => {
    const recorder = recordDeliveries()
    const id = '5f0c2a4e-7b3d-4e61-9f2a-c1d0e8b7a654'
    const reply = await receiver().handle(preApprovalDelivery(id, { secret: INVOCATION_SECRET }))
    expect(reply.status).toBe(200)
    const { last } = onlyTrace(recorder)
    expect(last).toMatchObject({
      trigger: 'idn:access-request-pre-approval',
      type: 'request-response',
      mode: 'sync',
      invocationId: id,
      status: 200,
    })
    expect(recorder.text()).not.toContain(INVOCATION_SECRET)
  })

  it('receiver.fetch(Request): the body streams, so the status comes with asyncEnd', async () => {
    const recorder = recordDeliveries()
    const request = new Request('http://127.0.0.1/isc/triggers/identity-created', {
      method: 'POST',
      headers,
      body: JSON.stringify(identityBody()),
    })
    const response = await receiver().fetch(request, 'identity-created')
    expect(response.status).toBe(200)
    const { sequence, last } = onlyTrace(recorder)
    expect(sequence).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
    expect(last).toMatchObject({ trigger: 'idn:identity-created', status: 200 })
  })

  it('toNodeHandler on node:http with a body still streaming: start, end (status unset), asyncStart, asyncEnd (status 200)', async () => {
    const recorder = recordDeliveries()
    const server = await serve(toNodeHandler(receiver(), { path: '/isc/triggers' }))
    closers.push(server.close)
    // The second half of the body is sent only once the delivery started.
    const started = () => pollUntil(() => recorder.started().length === 1)
    const reply = await within(
      postInTwoChunks(
        `${server.origin}/isc/triggers/identity-created`,
        headers,
        JSON.stringify(identityBody()),
        started,
      ),
      10_000,
      'the reply',
    )
    expect(reply.status).toBe(200)
    await pollUntil(() => recorder.events.length === 4)
    const { sequence, context } = onlyTrace(recorder)
    expect(sequence).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
    const snapshots = recorder.events.filter((e) => e.context === context).map((e) => e.snapshot.status)
    expect(snapshots).toEqual([undefined, undefined, 200, 200])
  })
})

describe('over many requests', () => {
  it('exactly one context per request, each well formed, its status set by its last event, and no secret in any', async () => {
    const recorder = recordDeliveries()
    const r = receiver((input) => {
      if (input.identity.name === 'fail') throw new Error(`failed for ${PAYLOAD_VALUE}`)
    })
    const callbackSecret = 'cb-secret-71d2e9'
    const requests = [
      post('identity-created', identityBody()),
      {
        ...post('identity-created', identityBody()),
        headers: { ...headers, authorization: bearer('wrong') },
      },
      post('identity-created', { identity: { id: PAYLOAD_VALUE } }),
      post('identity-created', { ...identityBody(), identity: { type: 'IDENTITY', id: 'x', name: 'fail' } }),
      post('no-such-trigger', identityBody()),
      preApprovalDelivery('inv-many', { secret: callbackSecret }),
      { ...post('identity-created', identityBody()), method: 'GET' },
      { ...post('identity-created', identityBody()), headers: { ...headers, 'content-type': 'text/plain' } },
    ]
    const statuses: number[] = []
    for (let round = 0; round < 3; round++)
      for (const request of requests) statuses.push((await r.handle(request)).status)
    const fetched = await r.fetch(
      new Request('http://127.0.0.1/', { method: 'POST', headers, body: JSON.stringify(identityBody()) }),
      'identity-created',
    )
    statuses.push(fetched.status)
    expect(new Set(statuses)).toEqual(new Set([200, 401, 400, 500, 404, 405, 415]))

    const contexts = recorder.started()
    expect(contexts).toHaveLength(statuses.length)
    expect(new Set(contexts).size).toBe(statuses.length)
    contexts.forEach((context, i) => {
      const sequence = recorder.sequence(context)
      expect(isWellFormed(sequence), sequence.join(',')).toBe(true)
      const last = recorder.last(context)
      expect(last.status).toBe(statuses[i])
      if (statuses[i]! >= 400) expect(last.errorCode).toBeTypeOf('string')
      else expect(last.errorCode).toBeUndefined()
      expect(sequence.includes('error')).toBe(statuses[i]! >= 500)
    })
    const text = recorder.text()
    for (const secret of [TEST_TOKEN, callbackSecret, PAYLOAD_VALUE, 'Bearer'])
      expect(text).not.toContain(secret)
  })
})

describe('concurrent deliveries through node:http', () => {
  it('one context each, never shared, each with its own outcome', async () => {
    const recorder = recordDeliveries()
    const release = gate()
    const r = receiver(async (input) => {
      await release.promise
      if (input.identity.name === 'fail') throw new Error('downstream failed')
    })
    const server = await serve(toNodeHandler(r))
    closers.push(server.close)
    const send = (body: unknown, auth = bearer(TEST_TOKEN)) =>
      fetch(`${server.origin}/identity-created`, {
        method: 'POST',
        headers: { ...headers, authorization: auth },
        body: JSON.stringify(body),
      }).then(async (response) => {
        await response.arrayBuffer()
        return response.status
      })
    const failing = { ...identityBody(), identity: { type: 'IDENTITY', id: 'x', name: 'fail' } }
    const bodies = [identityBody(), failing, { identity: {} }, identityBody(), failing, identityBody()]
    const pending = [...bodies.map((body) => send(body)), send(identityBody(), bearer('wrong'))]
    // Every request has started (its context is open) before any handler may finish.
    await pollUntil(() => recorder.started().length === pending.length)
    release.open()
    const statuses = await Promise.all(pending)
    expect([...statuses].sort()).toEqual([200, 200, 200, 400, 401, 500, 500])
    await pollUntil(() => recorder.started().every((c) => recorder.last(c).status !== undefined))
    const contexts = recorder.started()
    expect(new Set(contexts).size).toBe(pending.length)
    for (const context of contexts) expect(isWellFormed(recorder.sequence(context))).toBe(true)
    const finals = contexts.map((c) => recorder.last(c).status as number)
    expect(finals.sort()).toEqual([...statuses].sort())
  })
})

/** Resolves once `done()` is true, looking again at each turn of the event loop (no time bound). */
async function pollUntil(done: () => boolean): Promise<void> {
  await expect.poll(done, { timeout: 10_000, interval: 1 }).toBe(true)
}
