import { afterEach, describe, expect, it } from 'vitest'
import type { CompletionReport } from '../callbacks/completion-client.js'
import { aborted, closeLoopbacks, gate, loopback, sleep, within } from '../callbacks/loopback.test-helper.js'
import { bearer, identityCreatedSample, preApprovalSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import type { TriggerContext } from '../types.js'
import { createTriggerReceiver, type TriggerReceiverOptions } from './receiver.js'

// close() really stops: at its timeout every running handler's ctx.signal aborts (all modes),
// every pending callback stops retrying (outcome `abandoned`, no timer left), and the report
// counts what it stopped. Each delivery has a signal of its own. The process-exit proof is in
// close-exit.test.ts.

const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }
const SECRET = 'secret-51d0'

afterEach(closeLoopbacks)

function receiverWith(options: Partial<TriggerReceiverOptions> = {}) {
  return createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false, ...options })
}

function delivery(trigger: string, body: object) {
  return { method: 'POST', headers, body: JSON.stringify(body), trigger }
}

function withCallback(origin: string, id: string) {
  return {
    ...preApprovalSample(),
    _metadata: { callbackURL: `${origin}/beta/trigger-invocations/${id}/complete`, secret: SECRET },
  }
}

describe('close() at its timeout', () => {
  it.each([
    ['fire-and-forget', undefined],
    ['SYNC', { mode: 'sync' }],
    ['ASYNC', { mode: 'async' }],
    ['DYNAMIC (deferred)', { mode: 'dynamic' }],
  ] as const)('aborts the signal of a running %s handler, and counts it', async (_name, options) => {
    const isc = await loopback()
    const reported = gate()
    const reports: CompletionReport[] = []
    const receiver = receiverWith({
      completion: {
        allowedCallbackOrigins: [isc.origin],
        onCompletion: (report) => {
          reports.push(report)
          reported.open()
        },
      },
    })
    const seen: { signal?: AbortSignal; reason?: unknown } = {}
    const started = gate()
    const handler = async (_input: unknown, ctx: TriggerContext) => {
      seen.signal = ctx.signal
      if (options?.mode === 'dynamic') ctx.defer()
      started.open()
      seen.reason = await aborted(ctx.signal)
      throw seen.reason
    }
    const reply =
      options === undefined
        ? receiver
            .on('idn:identity-created', handler)
            .handle(delivery('identity-created', identityCreatedSample()))
        : receiver
            .on('idn:access-request-pre-approval', handler as never, options)
            .handle(delivery('access-request-pre-approval', withCallback(isc.origin, 'inv-1')))
    await started.promise
    const report = await within(receiver.close({ timeoutMs: 30 }), 4_000, 'close()')
    expect(seen.signal?.aborted).toBe(true)
    expect(report).toMatchObject({ abandoned: 1, handlers: 1, callbacks: 0 })
    await within(reply, 4_000, 'the reply')
    if (options?.mode === 'async' || options?.mode === 'dynamic') {
      // The abort made the handler fail; its error callback starts after close() gave up, so it is
      // stopped at once: nothing is sent, nothing retries after close().
      await within(reported.promise, 4_000, 'the completion report')
      expect(reports).toMatchObject([{ outcome: 'abandoned', attempts: 0 }])
      expect(isc.received).toHaveLength(0)
    }
  })

  it('gives a handler that reads ctx.signal only after the timeout an aborted signal', async () => {
    const receiver = receiverWith()
    const late = gate()
    let signal: AbortSignal | undefined
    receiver.on('idn:identity-created', async (_input, ctx) => {
      await late.promise
      signal = ctx.signal
    })
    const reply = receiver.handle(delivery('identity-created', identityCreatedSample()))
    const report = await receiver.close({ timeoutMs: 30 })
    expect(report.handlers).toBe(1)
    late.open()
    await reply
    expect(signal?.aborted).toBe(true)
  })

  it('stops failing callbacks: each reported abandoned before close() resolves, and no attempt after it', async () => {
    const isc = await loopback((_req, res) => res.writeHead(503).end())
    const reports: CompletionReport[] = []
    const receiver = receiverWith({
      completion: {
        allowedCallbackOrigins: [isc.origin],
        retry: { baseDelayMs: 20, maxDelayMs: 40 },
        onCompletion: (report) => reports.push(report),
      },
    }).on('idn:access-request-pre-approval', () => ({ approved: true, comment: '', approver: 'svc' }), {
      mode: 'async',
    })
    for (const id of ['inv-a', 'inv-b', 'inv-c'])
      expect(
        (await receiver.handle(delivery('access-request-pre-approval', withCallback(isc.origin, id)))).status,
      ).toBe(200)
    await isc.until(6) // all three are retrying
    const report = await within(receiver.close({ timeoutMs: 30 }), 4_000, 'close()')
    expect(report).toMatchObject({ abandoned: 3, handlers: 0, callbacks: 3 })
    expect(reports.map((r) => r.outcome)).toEqual(['abandoned', 'abandoned', 'abandoned'])
    // An attempt already on the wire may still arrive (one per callback at most); a callback still
    // retrying every 20-40 ms would send many more in 300 ms.
    const attempts = isc.received.length
    await sleep(300)
    expect(isc.received.length).toBeLessThanOrEqual(attempts + 3)
  })

  it('counts only what still runs: finished deliveries are neither counted nor aborted', async () => {
    const receiver = receiverWith()
    const signals: AbortSignal[] = []
    const hold = gate()
    let calls = 0
    receiver.on('idn:identity-created', async (_input, ctx) => {
      signals.push(ctx.signal)
      if (++calls > 3) await hold.promise
    })
    for (let i = 0; i < 3; i++) await receiver.handle(delivery('identity-created', identityCreatedSample()))
    const running = [0, 1].map(() => receiver.handle(delivery('identity-created', identityCreatedSample())))
    const report = await receiver.close({ timeoutMs: 30 })
    expect(report).toMatchObject({ abandoned: 2, handlers: 2, callbacks: 0 })
    expect(signals.map((s) => s.aborted)).toEqual([false, false, false, true, true])
    hold.open()
    await Promise.all(running)
  })
})

describe('close() called twice', () => {
  it("both calls resolve once the work drains (the second does not take the first one's wake-up)", async () => {
    const receiver = receiverWith()
    const hold = gate()
    const started = gate()
    receiver.on('idn:identity-created', async () => {
      started.open()
      await hold.promise
    })
    const reply = receiver.handle(delivery('identity-created', identityCreatedSample()))
    await started.promise
    // Timeouts far beyond the test's own: only draining can resolve them in time.
    const first = receiver.close({ timeoutMs: 600_000 })
    const second = receiver.close({ timeoutMs: 600_000 })
    hold.open()
    const reports = await within(Promise.all([first, second]), 4_000, 'both close() calls')
    expect(reports.map((report) => report.abandoned)).toEqual([0, 0])
    expect((await reply).status).toBe(200)
  })
})

describe('each delivery has its own signal', () => {
  it('50 concurrent fire-and-forget handlers: 50 signals, no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const receiver = receiverWith()
      const signals = new Set<AbortSignal>()
      const hold = gate()
      let started = 0
      const allStarted = gate()
      receiver.on('idn:identity-created', async (_input, ctx) => {
        const listener = () => {}
        ctx.signal.addEventListener('abort', listener)
        signals.add(ctx.signal)
        if (++started === 50) allStarted.open()
        await hold.promise
        ctx.signal.removeEventListener('abort', listener)
      })
      const replies = Array.from({ length: 50 }, () =>
        receiver.handle(delivery('identity-created', identityCreatedSample())),
      )
      await within(allStarted.promise, 4_000, '50 handlers')
      hold.open()
      expect((await Promise.all(replies)).map((r) => r.status)).toEqual(Array(50).fill(200))
      expect(signals.size).toBe(50)
      await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
    } finally {
      process.off('warning', onWarning)
    }
  })
})
