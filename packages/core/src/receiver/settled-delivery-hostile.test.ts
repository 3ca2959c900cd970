import type { ServerResponse } from 'node:http'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { closeLoopbacks, gate, loopback } from '../callbacks/loopback.test-helper.js'
import { createMemoryDedupeStore } from '../dedupe/dedupe.js'
import { isTriggerError } from '../errors.js'
import { bearer, identityCreatedSample, preApprovalSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import { createTriggerReceiver, type TriggerReceiverOptions } from './receiver.js'
import { REJECTION_HOOK_BUDGET_MS } from './rejection.js'
import { handleTrustedEvent, handleUntilSettled } from './settled-delivery.js'
import { turn, watch } from './settled-delivery.test-helper.js'

// What a hostile or unlucky world does to the entry points for hosts that freeze after the reply
// (handleUntilSettled, AWS Lambda) and for transports that redeliver (handleTrustedEvent,
// EventBridge). The prime rule: an event is never lost. Over a redelivering transport an
// unfixable event is kept (onRejected) and resolved, and anything that leaves it neither handled
// nor kept rejects, so that the transport delivers it again (or, at last, keeps it itself).

const SECRET = 'secret-51d0'
const DECISION = { approved: true, comment: 'ok', approver: 'svc' }

afterEach(async () => {
  vi.useRealTimers()
  await closeLoopbacks()
})

function receiverWith(options: Partial<TriggerReceiverOptions> = {}) {
  return createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false, ...options })
}

describe('handleTrustedEvent: an onRejected that does not keep the event', () => {
  it.each([
    [
      'throws',
      () => {
        throw new Error('the bucket is gone')
      },
    ],
    ['rejects', () => Promise.reject(new Error('the bucket is gone'))],
  ])(
    '%s: the event rejects (delivered again, or kept by the transport), never resolves',
    async (_name, hook) => {
      const receiver = receiverWith({ onRejected: hook })
      receiver.on('idn:identity-created', async () => {})
      const failure = await handleTrustedEvent(receiver, {
        trigger: 'idn:no-such-trigger',
        payload: identityCreatedSample(),
      }).then(
        () => 'resolved: the refused event was neither kept nor redelivered',
        (error: unknown) => error,
      )
      expect(isTriggerError(failure) && failure.code).toBe('HANDLER_FAILED')
      expect((failure as Error).message).toMatch(/onRejected/)
      expect((failure as Error).message).not.toContain('bucket') // the hook's error is the cause, not the message
    },
  )

  it('an onRejected that keeps the event: resolves, as before', async () => {
    const kept: unknown[] = []
    const receiver = receiverWith({ onRejected: async (rejection) => void kept.push(rejection.body) })
    await handleTrustedEvent(receiver, { trigger: 'idn:no-such-trigger', payload: { a: 1 } })
    expect(kept).toEqual(['{"a":1}'])
  })
})

describe('an onRejected slower than its reply budget is waited for (the host freezes after the reply)', () => {
  it.each([
    [
      'handleUntilSettled',
      (receiver: ReturnType<typeof receiverWith>) =>
        handleUntilSettled(receiver, {
          method: 'POST',
          headers: { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' },
          body: JSON.stringify(identityCreatedSample()),
          trigger: 'no-such-trigger',
        }),
    ],
    [
      'handleTrustedEvent',
      (receiver: ReturnType<typeof receiverWith>) =>
        handleTrustedEvent(receiver, { trigger: 'idn:no-such-trigger', payload: identityCreatedSample() }),
    ],
  ])('%s', async (_name, deliver) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const storing = gate()
    let stored = false
    const receiver = receiverWith({
      onRejected: async () => {
        await storing.promise
        stored = true
      },
    })
    const outcome = watch(deliver(receiver))
    await vi.advanceTimersByTimeAsync(REJECTION_HOOK_BUDGET_MS + 1)
    await turn()
    // Returning now would freeze the hook mid-way: the refused event would never be stored.
    expect(outcome.state).toBe('pending')
    storing.open()
    expect(await outcome.settled).toBe('resolved')
    expect(stored).toBe(true)
  })
})

describe('handleTrustedEvent: a decision that close() stopped before it was sent', () => {
  it('rejects, and gives the dedupe claim back, so the redelivery sends the decision', async () => {
    let down = true
    const held: ServerResponse[] = []
    const isc = await loopback((_request, res) => {
      if (down)
        held.push(res) // ISC does not answer: the attempt is still in flight at close()
      else res.writeHead(204).end()
    })
    const store = createMemoryDedupeStore() // shared, as Redis is between execution environments
    const options = { completion: { allowedCallbackOrigins: [isc.origin] }, dedupe: { store } }
    const event = {
      trigger: 'idn:access-request-pre-approval',
      payload: {
        ...preApprovalSample(),
        _metadata: {
          callbackURL: `${isc.origin}/beta/trigger-invocations/inv-stop/complete`,
          secret: SECRET,
        },
      },
    }
    let calls = 0
    const first = receiverWith(options)
    first.on(
      'idn:access-request-pre-approval',
      async () => {
        calls++
        return DECISION
      },
      { mode: 'async' },
    )
    const outcome = watch(handleTrustedEvent(first, event))
    await isc.until(1)
    const report = await first.close({ timeoutMs: 1 })
    expect(report.callbacks).toBe(1)
    // 'resolved' would lose the event: nothing would ever send the decision.
    expect(await outcome.settled).toBe('rejected SHUTTING_DOWN')

    down = false
    const second = receiverWith(options) // the redelivery, in another execution environment
    second.on(
      'idn:access-request-pre-approval',
      async () => {
        calls++
        return DECISION
      },
      { mode: 'async' },
    )
    await handleTrustedEvent(second, event)
    expect(calls).toBe(2)
    const sent = isc.received.slice(1).map((request) => JSON.parse(request.body))
    expect(sent).toEqual([{ secret: SECRET, output: DECISION }])
    for (const res of held) res.destroy()
  })
})
