import { afterEach, describe, expect, it } from 'vitest'
import { closeLoopbacks, gate, loopback } from '../callbacks/loopback.test-helper.js'
import { createMemoryDedupeStore } from '../dedupe/dedupe.js'
import { isTriggerError, TriggerConfigError } from '../errors.js'
import { bearer, identityCreatedSample, preApprovalSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import type { DeliveryEvent } from '../observability/hooks.js'
import type { TriggerContext } from '../types.js'
import { createTriggerReceiver, type TriggerReceiverOptions } from './receiver.js'
import type { TriggerRejection } from './rejection.js'
import { handleTrustedEvent, handleUntilSettled } from './settled-delivery.js'
import { turn } from './settled-delivery.test-helper.js'

// The entry points for hosts that freeze after the reply (handleUntilSettled) and for trusted
// transports that redeliver (handleTrustedEvent, EventBridge): they reuse the pipeline, so
// close(), hooks, dedupe and onRejected see their deliveries as any other. The Lambda adapter's
// own tests cover the event shapes.

const SECRET = 'secret-7a1e'
const DECISION = { approved: true, comment: 'ok', approver: 'svc' }
const FALLBACK = { approved: false, comment: 'late', approver: 'svc' }
const HOUR_MS = 3_600_000

afterEach(closeLoopbacks)

function receiverWith(options: Partial<TriggerReceiverOptions> = {}) {
  return createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false, ...options })
}

function withCallback(origin: string, id: string) {
  return {
    ...preApprovalSample(),
    _metadata: { callbackURL: `${origin}/beta/trigger-invocations/${id}/complete`, secret: SECRET },
  }
}

/** A pre-approval handler that decides once `held` opens. */
function decidesWhenOpen(held: { promise: Promise<void> }) {
  return async () => {
    await held.promise
    return DECISION
  }
}

describe('handleTrustedEvent', () => {
  it('close() waits for an event in flight; an event after close() rejects (retry) and reaches onRejected', async () => {
    const rejections: TriggerRejection[] = []
    const receiver = receiverWith({ onRejected: (rejection) => void rejections.push(rejection) })
    const held = gate()
    const order: string[] = []
    receiver.on('idn:identity-created', async () => {
      await held.promise
      order.push('handler done')
    })
    const handled = handleTrustedEvent(receiver, {
      trigger: 'idn:identity-created',
      payload: identityCreatedSample(),
    })
    const closed = receiver.close().then(() => order.push('closed'))
    await turn()
    held.open()
    await Promise.all([handled, closed])
    expect(order).toEqual(['handler done', 'closed'])

    const late = handleTrustedEvent(receiver, { trigger: 'idn:identity-created', payload: { a: 1 } })
    await expect(late).rejects.toMatchObject({ name: 'TriggerError', code: 'SHUTTING_DOWN' })
    expect(rejections).toMatchObject([{ status: 503, code: 'SHUTTING_DOWN', body: '{"a":1}' }])
  })

  it('onDelivery sees the event; a SYNC-registered handler decides by callback (mode async), without HTTP auth', async () => {
    const isc = await loopback()
    const told: DeliveryEvent[] = []
    const receiver = receiverWith({
      completion: { allowedCallbackOrigins: [isc.origin] },
      hooks: { onDelivery: (event) => void told.push(event) },
    })
    receiver.on('idn:access-request-pre-approval', () => DECISION, { mode: 'sync', fallback: FALLBACK })
    await handleTrustedEvent(receiver, {
      trigger: 'idn:access-request-pre-approval',
      payload: withCallback(isc.origin, 'inv-sync'),
    })
    // Resolved only once the callback was sent.
    expect(isc.received.map((request) => JSON.parse(request.body))).toEqual([
      { secret: SECRET, output: DECISION },
    ])
    expect(told).toMatchObject([
      { trigger: 'idn:access-request-pre-approval', mode: 'async', status: 200, invocationId: 'inv-sync' },
    ])
  })

  it('an ASYNC failure rejects without telling ISC; with dedupe its claim is given back, so the redelivery decides', async () => {
    const isc = await loopback()
    const receiver = receiverWith({
      completion: { allowedCallbackOrigins: [isc.origin] },
      dedupe: { store: createMemoryDedupeStore() },
    })
    let calls = 0
    receiver.on(
      'idn:access-request-pre-approval',
      async () => {
        if (++calls === 1) throw new Error('the approval service is down')
        return DECISION
      },
      { mode: 'async' },
    )
    const event = {
      trigger: 'idn:access-request-pre-approval',
      payload: withCallback(isc.origin, 'inv-retry'),
    }
    const failed = await handleTrustedEvent(receiver, event).catch((error: unknown) => error)
    expect(isTriggerError(failed) && failed.code).toBe('HANDLER_FAILED')
    expect(isc.received).toEqual([])
    await handleTrustedEvent(receiver, event)
    expect(calls).toBe(2)
    expect(isc.received.map((request) => JSON.parse(request.body))).toEqual([
      { secret: SECRET, output: DECISION },
    ])
  })

  it('an invalid decision is sent as { error } (retrying cannot fix it) and the event resolves', async () => {
    const isc = await loopback()
    const receiver = receiverWith({ completion: { allowedCallbackOrigins: [isc.origin] } })
    receiver.on('idn:access-request-pre-approval', async () => ({ approved: 'yes' }) as never, {
      mode: 'async',
    })
    await handleTrustedEvent(receiver, {
      trigger: 'idn:access-request-pre-approval',
      payload: withCallback(isc.origin, 'inv-invalid'),
    })
    expect(JSON.parse(isc.received[0]?.body ?? '{}')).toEqual({
      secret: SECRET,
      error: 'The subscriber returned an invalid decision',
    })
  })

  it("the invocation's deadline counts from the event's receivedAt (a redelivery keeps it), not from now", async () => {
    const isc = await loopback()
    const receiver = receiverWith({ completion: { allowedCallbackOrigins: [isc.origin] } }) // deadline: 1 h
    const seen: TriggerContext[] = []
    receiver.on(
      'idn:access-request-pre-approval',
      async (_input, ctx) => {
        seen.push(ctx)
        return DECISION
      },
      { mode: 'async' },
    )
    const deliver = (id: string, receivedAt: Date) =>
      handleTrustedEvent(receiver, {
        trigger: 'idn:access-request-pre-approval',
        payload: withCallback(isc.origin, id),
        receivedAt,
      })
    const late = new Date(Date.now() - 2 * HOUR_MS)
    await deliver('inv-late', late) // resolves: retrying cannot bring the deadline back
    expect(seen[0]?.receivedAt).toBe(late)
    expect(seen[0]?.signal.aborted).toBe(true)
    expect(isc.received).toEqual([]) // ISC would refuse a decision past its deadline
    await deliver('inv-in-time', new Date(Date.now() - HOUR_MS / 2))
    expect(isc.received.map((request) => request.path)).toEqual([
      '/beta/trigger-invocations/inv-in-time/complete',
    ])
  })

  it('refuses anything that is not a receiver made by createTriggerReceiver()', async () => {
    const fake = { handle: async () => ({}) } as never
    await expect(handleTrustedEvent(fake, { payload: {} })).rejects.toBeInstanceOf(TriggerConfigError)
    await expect(handleUntilSettled(fake, { method: 'POST' })).rejects.toBeInstanceOf(TriggerConfigError)
  })
})

describe('handleUntilSettled', () => {
  const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }

  it('gives an ASYNC reply only once the callback was sent', async () => {
    const isc = await loopback()
    const receiver = receiverWith({ completion: { allowedCallbackOrigins: [isc.origin] } })
    const held = gate()
    receiver.on('idn:access-request-pre-approval', decidesWhenOpen(held), { mode: 'async' })
    let replied = false
    const replying = handleUntilSettled(receiver, {
      method: 'POST',
      headers,
      body: JSON.stringify(withCallback(isc.origin, 'inv-held')),
      trigger: 'access-request-pre-approval',
    }).then((reply) => {
      replied = true
      return reply
    })
    await turn()
    expect(replied).toBe(false) // receiver.handle() has answered by now
    held.open()
    const reply = await replying
    expect(reply).toMatchObject({ status: 200, body: '{}' })
    expect(isc.received).toHaveLength(1)
  })

  it('does not wait for a SYNC handler past its budget: the fallback goes out while it still runs', async () => {
    const receiver = receiverWith()
    const held = gate()
    receiver.on('idn:access-request-pre-approval', decidesWhenOpen(held), {
      mode: 'sync',
      timeoutMs: 20,
      fallback: FALLBACK,
    })
    // Waiting for the late handler would never end: the gate opens only after the reply.
    const reply = await handleUntilSettled(receiver, {
      method: 'POST',
      headers,
      body: JSON.stringify(preApprovalSample()),
      trigger: 'access-request-pre-approval',
    })
    expect(JSON.parse(reply.body)).toEqual(FALLBACK)
    held.open()
    await receiver.close()
  })
})
