import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import type { CompletionReport } from '../callbacks/completion-client.js'
import { createCompletionClient } from '../callbacks/completion-client.js'
import { closeLoopbacks, gate, loopback, within } from '../callbacks/loopback.test-helper.js'
import { bearer, preApprovalSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import { createTriggerReceiver, type TriggerReceiverOptions } from '../receiver/receiver.js'
import { defineTrigger } from '../schemas/define-trigger.js'
import type { TriggerContext } from '../types.js'
import type { DispatchEnv, Running } from './handler-call.js'
import type { HandlerEntry } from './handler-entry.js'
import { handlerLimit, runAsync } from './request-response.js'

// ASYNC and DYNAMIC handlers and their limit: a handler that ignores ctx.signal and never settles
// still ends in a `{ secret, error }` callback (sent early enough for one full attempt before the
// deadline), is told through its signal, and leaves nothing for close() to wait on.

const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }
const SECRET = 'secret-hung-3e9a'

afterEach(closeLoopbacks)

function receiverWith(options: Partial<TriggerReceiverOptions>) {
  return createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false, ...options })
}

function delivery(origin: string, id: string) {
  const body = {
    ...preApprovalSample(),
    _metadata: { callbackURL: `${origin}/beta/trigger-invocations/${id}/complete`, secret: SECRET },
  }
  return { method: 'POST', headers, body: JSON.stringify(body), trigger: 'access-request-pre-approval' }
}

describe('a handler that never settles', () => {
  it.each([
    ['ASYNC', 'async'],
    ['DYNAMIC (deferred)', 'dynamic'],
  ] as const)(
    '%s: ISC gets { secret, error }, onCompletion is told, the signal aborts, close() has nothing left',
    async (_name, mode) => {
      const isc = await loopback()
      const reported = gate()
      const reports: CompletionReport[] = []
      const receiver = receiverWith({
        completion: {
          allowedCallbackOrigins: [isc.origin],
          // attemptTimeoutMs is more than half the deadline: the handler's limit is 1 s after
          // receipt, leaving 1 s for the error callback (a wide margin on a busy machine).
          deadlineMs: 2_000,
          attemptTimeoutMs: 5_000,
          onCompletion: (report) => {
            reports.push(report)
            reported.open()
          },
        },
      })
      const signals: AbortSignal[] = []
      receiver.on(
        'idn:access-request-pre-approval',
        (_input: unknown, ctx: TriggerContext) => {
          signals.push(ctx.signal)
          if (mode === 'dynamic') ctx.defer()
          return new Promise(() => {}) // ignores its signal, never settles
        },
        { mode },
      )
      const reply = await within(receiver.handle(delivery(isc.origin, 'inv-hung')), 4_000, 'the reply')
      expect(reply.status).toBe(mode === 'async' ? 200 : 202)
      await within(reported.promise, 8_000, 'the completion report')
      expect(isc.received).toHaveLength(1)
      expect(JSON.parse(isc.received[0]!.body)).toEqual({
        secret: SECRET,
        error: 'The subscriber did not decide before the deadline',
      })
      expect(reports).toMatchObject([{ outcome: 'completed', invocationId: 'inv-hung', attempts: 1 }])
      expect(signals[0]?.aborted).toBe(true)
      expect(signals[0]?.reason).toMatchObject({ code: 'RESPONSE_TIMEOUT' })
      // Given up, not left running: close() drains at once and abandons nothing.
      const closed = await within(receiver.close({ timeoutMs: 60_000 }), 4_000, 'close()')
      expect(closed).toMatchObject({ abandoned: 0, handlers: 0, callbacks: 0 })
    },
    20_000, // only a hang detector
  )

  it('a handler that settles in time is not cut: its decision is sent', async () => {
    const isc = await loopback()
    const reported = gate()
    const receiver = receiverWith({
      completion: { allowedCallbackOrigins: [isc.origin], onCompletion: () => reported.open() },
    })
    const release = gate()
    receiver.on(
      'idn:access-request-pre-approval',
      async (_input: unknown, ctx: TriggerContext) => {
        await release.promise
        expect(ctx.signal.aborted).toBe(false)
        return { approved: true, comment: 'ok', approver: 'svc' }
      },
      { mode: 'async' },
    )
    await receiver.handle(delivery(isc.origin, 'inv-ok'))
    release.open()
    await within(reported.promise, 8_000, 'the completion report')
    expect(JSON.parse(isc.received[0]!.body)).toMatchObject({ secret: SECRET, output: { approved: true } })
    await receiver.close()
  })
})

describe('handlerLimit()', () => {
  it('is the deadline less one callback attempt, at most half the invocation window', () => {
    const env = (attemptTimeoutMs: number, deadlineMs: number) =>
      ({ completion: createCompletionClient({ attemptTimeoutMs }), deadlineMs }) as unknown as DispatchEnv
    expect(handlerLimit(3_600_000, env(10_000, 3_600_000))).toBe(3_590_000)
    expect(handlerLimit(2_000, env(5_000, 2_000))).toBe(1_000)
  })
})

describe('the running set', () => {
  it('a handler given up at its limit leaves the running set (nothing kept for close() to stop), its tracked work settles', async () => {
    const isc = await loopback()
    const reported = gate()
    const running = new Set<Running>()
    const tracked: Promise<unknown>[] = []
    const env: DispatchEnv = {
      logger: { error() {}, warn() {}, info() {}, debug() {} } as never,
      track: (work) => tracked.push(work),
      running,
      completion: createCompletionClient({
        allowedCallbackOrigins: [isc.origin],
        onCompletion: () => reported.open(),
      }),
      allowedCallbackOrigins: new Set([isc.origin]),
      deadlineMs: 400,
    }
    const trigger = defineTrigger({
      id: 'test:hung',
      type: 'request-response',
      input: z.unknown(),
      output: z.unknown(),
    })
    const entry = { trigger, handler: () => new Promise(() => {}), mode: 'async' } as unknown as HandlerEntry
    const invocation = {
      callbackURL: `${isc.origin}/beta/trigger-invocations/inv-set/complete`,
      secret: SECRET,
    } as never
    runAsync(entry, trigger, {}, invocation, new Date(), env)
    expect(running.size).toBe(1)
    await within(reported.promise, 8_000, 'the completion report')
    await within(Promise.all(tracked), 4_000, 'the tracked work')
    expect(running.size).toBe(0)
  }, 20_000)
})

describe('ctx.signal read after the handler settled', () => {
  it('starts no timer (the handler no longer has a limit to keep)', async () => {
    const isc = await loopback()
    const reported = gate()
    const receiver = receiverWith({
      completion: { allowedCallbackOrigins: [isc.origin], onCompletion: () => reported.open() },
    })
    let kept: TriggerContext | undefined
    receiver.on(
      'idn:access-request-pre-approval',
      (_input: unknown, ctx: TriggerContext) => {
        kept = ctx
        return { approved: true, comment: 'ok', approver: 'svc' }
      },
      { mode: 'async' },
    )
    await receiver.handle(delivery(isc.origin, 'inv-late-read'))
    await within(reported.promise, 8_000, 'the completion report')
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout')
    try {
      expect(kept?.signal.aborted).toBe(false)
      expect(setTimeoutSpy).not.toHaveBeenCalled()
    } finally {
      setTimeoutSpy.mockRestore()
    }
    await receiver.close()
  })
})
