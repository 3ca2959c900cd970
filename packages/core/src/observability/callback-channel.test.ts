import { afterEach, describe, expect, it } from 'vitest'
import type { CompletionReport } from '../callbacks/completion-client.js'
import { closeLoopbacks, gate, type Loopback, loopback, within } from '../callbacks/loopback.test-helper.js'
import { TEST_TOKEN } from '../fixtures.test-helper.js'
import type { TriggerReceiver } from '../receiver/receiver.js'
import {
  isWellFormed,
  PAYLOAD_VALUE,
  preApprovalDelivery,
  recordCallbacks,
  recordDeliveries,
  testReceiver,
} from './channel-recorder.test-helper.js'

// An ASYNC delivery on the delivery channel, then each of its callback attempts on the
// `isc-triggers:callback` channel: attempt numbers from 1, the outcome and ISC's status set before
// asyncEnd, the trigger and invocation ids, and neither the callback secret nor a payload value.

const SECRET = 'cb-secret-4d1f0a'
const INVOCATION = '9a7e1c3b-2d4f-4b6a-8c0e-1f2a3b4c5d6e'
const DECISION = { approved: true, comment: 'ok', approver: 'svc' }

const receivers: TriggerReceiver[] = []
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close()
  await closeLoopbacks()
})

/** An ASYNC receiver whose callbacks go to `isc`, retried at once; resolves `done` with the report. */
function asyncReceiver(isc: Loopback, handler: () => Promise<unknown> = async () => DECISION) {
  const done = gate()
  const reports: CompletionReport[] = []
  const r = testReceiver({
    completion: {
      allowedCallbackOrigins: [isc.origin],
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
      onCompletion: (report) => {
        reports.push(report)
        done.open()
      },
    },
  })
  r.on('idn:access-request-pre-approval', handler as () => Promise<typeof DECISION>, { mode: 'async' })
  receivers.push(r)
  return { receiver: r, done: done.promise, reports }
}

/** The ASYNC delivery whose callback goes to `isc`, less the `_metadata` fields named in `without`. */
function asyncDelivery(isc: Loopback, without: string[] = []) {
  return preApprovalDelivery(INVOCATION, { origin: isc.origin, secret: SECRET, without })
}

describe('an ASYNC delivery and its callback attempts', () => {
  it('503 then 200: the delivery (mode async), then attempt 1 retry (503) and attempt 2 completed (200)', async () => {
    let answered = 0
    const isc = await loopback((_req, res) => res.writeHead(answered++ === 0 ? 503 : 200).end())
    const deliveries = recordDeliveries()
    const callbacks = recordCallbacks()
    const { receiver, done, reports } = asyncReceiver(isc)

    const reply = await receiver.handle(asyncDelivery(isc))
    expect(reply.status).toBe(200)
    await within(done, 10_000, 'the completion')
    expect(reports).toMatchObject([{ outcome: 'completed', attempts: 2 }])

    const [delivery] = deliveries.started()
    expect(deliveries.started()).toHaveLength(1)
    expect(deliveries.sequence(delivery!)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
    expect(deliveries.last(delivery!)).toMatchObject({
      trigger: 'idn:access-request-pre-approval',
      type: 'request-response',
      mode: 'async',
      invocationId: INVOCATION,
      status: 200,
      errorCode: undefined,
    })

    const attempts = callbacks.started()
    expect(attempts).toHaveLength(2)
    for (const attempt of attempts) {
      expect(callbacks.sequence(attempt)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
      // Nothing is known at start; outcome and status are there from asyncStart on.
      const [start, , asyncStart] = callbacks.events.filter((e) => e.context === attempt)
      expect(start?.snapshot).toMatchObject({ outcome: undefined, status: undefined })
      expect(asyncStart?.snapshot.outcome).toBeDefined()
    }
    expect(attempts.map((attempt) => callbacks.last(attempt))).toEqual([
      {
        trigger: 'idn:access-request-pre-approval',
        invocationId: INVOCATION,
        attempt: 1,
        decision: 'output',
        outcome: 'retry',
        status: 503,
      },
      {
        trigger: 'idn:access-request-pre-approval',
        invocationId: INVOCATION,
        attempt: 2,
        decision: 'output',
        outcome: 'completed',
        status: 200,
      },
    ])
    const text = deliveries.text() + callbacks.text()
    for (const secret of [SECRET, TEST_TOKEN, PAYLOAD_VALUE]) expect(text).not.toContain(secret)
  })

  it('a network error: the attempt publishes error (outcome retry, no status), then the next one completes', async () => {
    let answered = 0
    const isc = await loopback((_req, res) => {
      if (answered++ === 0) res.socket?.destroy()
      else res.writeHead(200).end()
    })
    const callbacks = recordCallbacks()
    const { receiver, done } = asyncReceiver(isc)
    expect((await receiver.handle(asyncDelivery(isc))).status).toBe(200)
    await within(done, 10_000, 'the completion')

    const [first, second, ...more] = callbacks.started()
    expect(more).toHaveLength(0)
    expect(callbacks.sequence(first!)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd'])
    expect(callbacks.last(first!)).toMatchObject({ attempt: 1, outcome: 'retry', status: undefined })
    expect(callbacks.last(first!).error).toBeDefined()
    expect(callbacks.last(second!)).toMatchObject({ attempt: 2, outcome: 'completed', status: 200 })
    expect(isWellFormed(callbacks.sequence(second!))).toBe(true)
    expect(callbacks.text()).not.toContain(SECRET)
  })

  it('without _metadata.triggerId (the trigger is in the URL), an attempt names the trigger the delivery resolved', async () => {
    const isc = await loopback((_req, res) => res.writeHead(200).end())
    const deliveries = recordDeliveries()
    const callbacks = recordCallbacks()
    const { receiver, done, reports } = asyncReceiver(isc)
    expect((await receiver.handle(asyncDelivery(isc, ['triggerId']))).status).toBe(200)
    await within(done, 10_000, 'the completion')
    expect(deliveries.last(deliveries.started()[0]!)).toMatchObject({
      trigger: 'idn:access-request-pre-approval',
    })
    expect(callbacks.last(callbacks.started()[0]!)).toMatchObject({
      trigger: 'idn:access-request-pre-approval',
      invocationId: INVOCATION,
      outcome: 'completed',
    })
    expect(reports).toMatchObject([{ triggerId: 'idn:access-request-pre-approval' }])
  })

  it("a handler that failed after the 200: the attempt's decision is 'error' (ISC is told { error })", async () => {
    const isc = await loopback((_req, res) => res.writeHead(200).end())
    const callbacks = recordCallbacks()
    const { receiver, done } = asyncReceiver(isc, async () => {
      throw new Error(`failed on ${PAYLOAD_VALUE}`)
    })
    expect((await receiver.handle(asyncDelivery(isc))).status).toBe(200)
    await within(done, 10_000, 'the completion')
    expect(callbacks.last(callbacks.started()[0]!)).toMatchObject({ decision: 'error', outcome: 'completed' })
    expect(callbacks.text()).not.toContain(PAYLOAD_VALUE)
  })

  it('a token endpoint that refuses the client credentials: one try on the channel, rejected, with the error', async () => {
    const isc = await loopback((req, res) => res.writeHead(req.path === '/oauth/token' ? 401 : 200).end())
    const callbacks = recordCallbacks()
    const done = gate()
    const r = testReceiver({
      completion: {
        allowedCallbackOrigins: [isc.origin],
        clientId: 'client-7f3a',
        clientSecret: 'client-secret-9b2e',
        onCompletion: done.open,
      },
    })
    receivers.push(r)
    r.on('idn:access-request-pre-approval', async () => DECISION, { mode: 'async' })
    expect((await r.handle(asyncDelivery(isc))).status).toBe(200)
    await within(done.promise, 10_000, 'the completion')
    const [attempt, ...more] = callbacks.started()
    expect(more).toEqual([])
    expect(callbacks.sequence(attempt!)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd'])
    expect(callbacks.last(attempt!)).toMatchObject({ attempt: 1, outcome: 'rejected', status: undefined })
    expect(callbacks.text()).toContain('the token endpoint answered 401')
    expect(callbacks.text()).not.toContain('client-secret-9b2e')
  })
})
