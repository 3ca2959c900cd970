import { afterEach, describe, expect, it, vi } from 'vitest'
import { aborted, closeLoopbacks, loopback } from '../callbacks/loopback.test-helper.js'
import { isTriggerError, TriggerConfigError } from '../errors.js'
import { createTriggerReceiver, queuedDeliveries } from '../receiver/receiver.js'
import type { TriggerContext } from '../types.js'
import { memoryQueue } from './memory-queue.test-helper.js'
import { approval, auth, INVOCATION_SECRET, userCreated } from './queue-fixtures.test-helper.js'
import type { QueuedDelivery } from './queue-port.js'

// The worker side, queuedDeliveries(receiver): runs a stored delivery through the receiver's own
// handlers and schemas (the input parsed again), decides once, and completes by callback.

afterEach(closeLoopbacks)

const RECEIVED_AT = 1_764_650_000_000
const invocation = { triggerId: 'acme:approval', secret: INVOCATION_SECRET, invocationId: 'inv-1' }

function event(input: unknown = { user: { id: 'u-1' }, addedByIscLater: true }): QueuedDelivery {
  return { v: 1, trigger: 'acme:user-created', mode: 'event', input, receivedAt: RECEIVED_AT, key: undefined }
}

/** A request-response delivery received now (its handler limit is an hour away). */
function decision(mode: 'async' | 'dynamic', callbackURL = 'https://acme.api.identitynow.com/x/complete') {
  const receivedAt = Date.now()
  return {
    v: 1,
    trigger: 'acme:approval',
    mode,
    input: { item: 'engineering-access' },
    invocation: { ...invocation, callbackURL },
    receivedAt,
    key: 'inv-1',
    deadlineAt: receivedAt + 3_600_000,
  } satisfies QueuedDelivery
}

type Handler = (input: unknown, ctx: TriggerContext) => unknown

function runnerFor(handler: Handler, mode: 'async' | 'dynamic' = 'async', origins: string[] = []) {
  const queue = memoryQueue()
  const receiver = createTriggerReceiver({
    auth,
    logger: false,
    queue,
    completion: { allowedCallbackOrigins: origins, retry: { baseDelayMs: 10, maxDelayMs: 20 } },
  })
    .on(userCreated, handler)
    .on(approval, handler as never, mode === 'async' ? { mode } : { mode, timeoutMs: 5_000 })
  return { runner: queuedDeliveries(receiver), queue }
}

/** The TriggerError code a promise rejects with. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isTriggerError(error)).toBe(true)
  return (error as { code: string }).code
}

describe('run(): fire-and-forget', () => {
  it('runs the handler with the input parsed by the schema, the invocation and receivedAt', async () => {
    const handler = vi.fn()
    const { runner, queue } = runnerFor(handler)
    expect(runner.queue).toBe(queue)
    const delivery = { ...event(), invocation: { triggerId: 'acme:user-created' } }
    await expect(runner.run(delivery)).resolves.toBeUndefined()
    expect(handler).toHaveBeenCalledTimes(1)
    const [input, ctx] = handler.mock.calls[0]! as [unknown, TriggerContext]
    expect(input).toEqual({ user: { id: 'u-1' }, source: 'isc' }) // stripped and defaulted
    expect(ctx.trigger).toBe(userCreated)
    expect(ctx.invocation).toEqual({ triggerId: 'acme:user-created' })
    expect(ctx.receivedAt).toEqual(new Date(RECEIVED_AT))
  })

  it('a throwing handler rejects HANDLER_FAILED (the engine retries)', async () => {
    const { runner } = runnerFor(() => {
      throw new Error('downstream down')
    })
    expect(await codeOf(runner.run(event()))).toBe('HANDLER_FAILED')
  })

  it('an input that fails the schema rejects INVALID_PAYLOAD without running the handler', async () => {
    const handler = vi.fn()
    const { runner } = runnerFor(handler)
    expect(await codeOf(runner.run(event({ user: { id: 42 } })))).toBe('INVALID_PAYLOAD')
    expect(handler).not.toHaveBeenCalled()
  })

  it('an unknown trigger rejects UNKNOWN_TRIGGER', async () => {
    const { runner } = runnerFor(vi.fn())
    expect(await codeOf(runner.run({ ...event(), trigger: 'acme:nobody-listens' }))).toBe('UNKNOWN_TRIGGER')
  })

  it("options.signal aborting aborts the handler's ctx.signal", async () => {
    const controller = new AbortController()
    let signal: AbortSignal | undefined
    const { runner } = runnerFor(async (_input, ctx) => {
      signal = ctx.signal
      await aborted(ctx.signal)
    })
    const run = runner.run(event(), { signal: controller.signal })
    await expect.poll(() => signal, { timeout: 30_000 }).toBeDefined()
    expect(signal!.aborted).toBe(false)
    controller.abort(new Error('job cancelled'))
    await run
    expect(signal!.aborted).toBe(true)
  })
})

describe('run(): ASYNC and DYNAMIC', () => {
  it('returns { output } checked with the output schema', async () => {
    const { runner } = runnerFor(() => ({ approved: true, notInSchema: 1 }))
    expect(await runner.run(decision('async'))).toEqual({ output: { approved: true, comment: 'none' } })
  })

  it('the handler gets the parsed input, the invocation and receivedAt', async () => {
    const handler = vi.fn(() => ({ approved: true }))
    const { runner } = runnerFor(handler)
    const delivery = decision('async')
    await runner.run(delivery)
    const [input, ctx] = handler.mock.calls[0]! as unknown as [unknown, TriggerContext]
    expect(input).toEqual({ item: 'engineering-access' })
    expect(ctx.invocation).toEqual(delivery.invocation)
    expect(ctx.receivedAt).toEqual(new Date(delivery.receivedAt))
  })

  it('an invalid output returns { error }, also before the last attempt (a retry cannot fix it)', async () => {
    const { runner } = runnerFor(() => ({ approved: 'yes' }))
    const result = await runner.run(decision('async'), { lastAttempt: false })
    expect(result).toEqual({ error: expect.any(String) })
  })

  it('a throwing handler rejects HANDLER_FAILED before the last attempt, and returns { error } on it', async () => {
    const handler = vi.fn(() => {
      throw new Error('downstream down')
    })
    const { runner } = runnerFor(handler)
    expect(await codeOf(runner.run(decision('async'), { lastAttempt: false }))).toBe('HANDLER_FAILED')
    expect(await codeOf(runner.run(decision('async')))).toBe('HANDLER_FAILED')
    const last = await runner.run(decision('async'), { lastAttempt: true })
    expect(last).toEqual({ error: expect.any(String) })
    expect(JSON.stringify(last)).not.toContain('downstream down')
    expect(handler).toHaveBeenCalledTimes(3)
  })

  it('options.signal aborting aborts ctx.signal', async () => {
    const controller = new AbortController()
    let reason: unknown
    const { runner } = runnerFor(async (_input, ctx) => {
      reason = await aborted(ctx.signal)
      return { approved: false }
    })
    const run = runner.run(decision('async'), { signal: controller.signal, lastAttempt: true })
    controller.abort(new Error('job cancelled'))
    expect(await run).toEqual({ output: { approved: false, comment: 'none' } })
    expect(reason).toEqual(new Error('job cancelled'))
  })

  it("a DYNAMIC handler's ctx.defer() calls options.onDefer", async () => {
    const onDefer = vi.fn()
    const { runner } = runnerFor((_input, ctx) => {
      ctx.defer()
      return { approved: true }
    }, 'dynamic')
    expect(await runner.run(decision('dynamic'), { onDefer })).toEqual({
      output: { approved: true, comment: 'none' },
    })
    expect(onDefer).toHaveBeenCalledTimes(1)
  })
})

describe('queuedDeliveries() and complete()', () => {
  it('queuedDeliveries() of anything not made by createTriggerReceiver is a TriggerConfigError', () => {
    expect(() => queuedDeliveries({} as never)).toThrow(TriggerConfigError)
    expect(() => queuedDeliveries(null as never)).toThrow(TriggerConfigError)
  })

  it('complete() posts { secret, output } to an allowed callback URL and reports completed', async () => {
    const isc = await loopback()
    const { runner } = runnerFor(vi.fn(), 'async', [isc.origin])
    const delivery = decision('async', `${isc.origin}/beta/trigger-invocations/inv-1/complete`)
    const report = await runner.complete(delivery, { output: { approved: true, comment: 'ok' } })
    expect(report).toMatchObject({ outcome: 'completed', invocationId: 'inv-1', attempts: 1 })
    expect(isc.received).toHaveLength(1)
    expect(isc.received[0]).toMatchObject({
      method: 'POST',
      path: '/beta/trigger-invocations/inv-1/complete',
    })
    expect(JSON.parse(isc.received[0]!.body)).toEqual({
      secret: INVOCATION_SECRET,
      output: { approved: true, comment: 'ok' },
    })
  })

  it('complete() to a URL outside the allowlist reports refused and sends nothing', async () => {
    const listed = await loopback()
    const unlisted = await loopback()
    const { runner } = runnerFor(vi.fn(), 'async', [listed.origin])
    const delivery = decision('async', `${unlisted.origin}/beta/trigger-invocations/inv-1/complete`)
    const report = await runner.complete(delivery, { output: { approved: true } })
    expect(report.outcome).toBe('refused')
    expect(report.attempts).toBe(0)
    expect(unlisted.received).toHaveLength(0)
    expect(listed.received).toHaveLength(0)
  })
})
