// Tools for the hostile observability tests (hostile-*.test.ts): a record of everything one
// delivery shows the outside (its channel events, its reply, its onDelivery event) in the order it
// happened, and a catcher for the uncaught errors Node reports for a throwing channel subscriber.
// Test-only: not part of the package.
import { tracingChannel } from 'node:diagnostics_channel'
import { afterEach, expect, vi } from 'vitest'
import { closeLoopbacks } from '../callbacks/loopback.test-helper.js'
import type { TriggerReply } from '../http/reply.js'
import type { TriggerReceiverOptions } from '../receiver/receiver.js'
import {
  type ReplyingReceiver,
  replyTo,
  type TriggerReceiver,
  type TriggerRequest,
} from '../receiver/receiver.js'
import { isWellFormed, lineLogger, type TraceEvent, testReceiver } from './channel-recorder.test-helper.js'
import type { DeliveryTraceContext } from './channels.js'
import type { DeliveryEvent, ReceiverHooks } from './hooks.js'

/** One thing a delivery showed the outside. */
export type Seen =
  | { what: TraceEvent; context: DeliveryTraceContext; snapshot: Record<string, unknown> }
  | { what: 'reply'; context: DeliveryTraceContext | undefined; reply: TriggerReply }
  | { what: 'told'; event: DeliveryEvent }

const EVENTS: readonly TraceEvent[] = ['start', 'end', 'asyncStart', 'asyncEnd', 'error']
const stops: (() => void)[] = []

afterEach(() => {
  for (const stop of stops.splice(0)) stop()
})

/**
 * Records, in one list and in order, the delivery channel's events, each reply as the receiver
 * hands it over (through its callback entry point, so the moment is exact) and each onDelivery
 * event (pass `hooks` to the receiver). Unsubscribed after the test.
 *
 * @example
 * const seen = observeDeliveries()
 * const receiver = testReceiver({ hooks: seen.hooks })
 * const { reply, context } = await seen.send(receiver, request)
 * seen.check(context, reply)
 */
export function observeDeliveries() {
  const log: Seen[] = []
  const channel = tracingChannel<unknown, DeliveryTraceContext>('isc-triggers:delivery')
  const handlers = Object.fromEntries(
    EVENTS.map((what) => [
      what,
      (context: DeliveryTraceContext) => log.push({ what, context, snapshot: { ...context } }),
    ]),
  ) as unknown as Parameters<typeof channel.subscribe>[0]
  channel.subscribe(handlers)
  stops.push(() => channel.unsubscribe(handlers))
  const starts = () =>
    log.filter((s) => s.what === 'start').map((s) => (s as { context: DeliveryTraceContext }).context)
  return {
    log,
    hooks: { onDelivery: (event: DeliveryEvent) => void log.push({ what: 'told', event }) },
    /** Sends one request; resolves with its reply and the context its `start` published. */
    send(
      receiver: TriggerReceiver,
      request: TriggerRequest,
    ): Promise<{ reply: TriggerReply; context: DeliveryTraceContext | undefined }> {
      const before = starts().length
      return new Promise((resolve) => {
        ;(receiver as ReplyingReceiver)[replyTo](request, (reply) => {
          const context = starts()[before]
          log.push({ what: 'reply', context, reply })
          resolve({ reply, context })
        })
      })
    },
    /** Resolves once `count` onDelivery events arrived. */
    async told(count: number): Promise<DeliveryEvent[]> {
      const events = () => log.flatMap((s) => (s.what === 'told' ? [s.event] : []))
      await expect.poll(() => events().length, { timeout: 10_000, interval: 1 }).toBeGreaterThanOrEqual(count)
      return events()
    },
    /**
     * Checks one delivery: its channel events are well formed; its last one carries the reply's
     * status and code (an `error` event only for a 5xx); it is told to onDelivery once, with the
     * same outcome, after the reply and after its last channel event.
     */
    check(context: DeliveryTraceContext | undefined, reply: TriggerReply): void {
      expect(context, 'a delivery context was published').toBeDefined()
      const mine = log.flatMap((s, i) =>
        s.what !== 'told' && s.what !== 'reply' && s.context === context ? [{ s, i }] : [],
      )
      const sequence = mine.map(({ s }) => s.what as TraceEvent)
      expect(isWellFormed(sequence), sequence.join(',')).toBe(true)
      const last = mine.at(-1)!
      const code = reply.status >= 400 ? JSON.parse(reply.body).error.code : undefined
      expect((last.s as { snapshot: Record<string, unknown> }).snapshot).toMatchObject({
        status: reply.status,
        errorCode: code,
      })
      expect(sequence.includes('error')).toBe(reply.status >= 500)
      const replyAt = log.findIndex((s) => s.what === 'reply' && s.reply === reply)
      const toldAt = log.findIndex(
        (s, i) =>
          i > replyAt && s.what === 'told' && s.event.status === reply.status && s.event.code === code,
      )
      expect(replyAt).toBeGreaterThanOrEqual(0)
      expect(toldAt, 'told after the reply').toBeGreaterThan(replyAt)
      expect(toldAt, 'told after the last channel event').toBeGreaterThan(last.i)
      const told = log[toldAt] as { event: DeliveryEvent }
      expect(told.event).toMatchObject({
        trigger: context?.trigger,
        invocationId: context?.invocationId,
        queued: context?.queued,
      })
    },
  }
}

/**
 * Takes over the process's `uncaughtException` and `unhandledRejection` listeners until the test
 * ends (Node reports a throwing channel subscriber or store transform as an uncaught exception),
 * and keeps what they receive.
 *
 * @example
 * const uncaught = catchUncaught()
 * // ... a subscriber throws ...
 * expect(uncaught.caught).toEqual([subscriberError])
 */
export function catchUncaught(): { caught: unknown[] } {
  const kinds = ['uncaughtException', 'unhandledRejection'] as const
  const saved = kinds.map((kind) => [kind, process.listeners(kind as 'uncaughtException')] as const)
  const caught: unknown[] = []
  const keep = (error: unknown) => void caught.push(error)
  for (const kind of kinds) {
    process.removeAllListeners(kind)
    process.on(kind, keep)
  }
  stops.push(() => {
    for (const [kind, listeners] of saved) {
      process.off(kind, keep)
      for (const listener of listeners) process.on(kind, listener as (...args: unknown[]) => void)
    }
  })
  return { caught }
}

/**
 * A thenable that, like a query builder (knex, mongoose), runs its work each time `then` is
 * called: `runs` counts the runs, each resolving `value`. `failAgain`: a run after the first
 * rejects, as mongoose's "Query was already executed" does.
 *
 * @example
 * const query = lazyQuery(1)
 * await query // 1, runs === 1
 */
export function lazyQuery<T>(value: T, failAgain = false): PromiseLike<T> & { runs: number } {
  const query = {
    runs: 0,
    // biome-ignore lint/suspicious/noThenProperty: the point is a thenable that is not a Promise
    then<A = T, B = never>(
      resolve?: ((value: T) => A | PromiseLike<A>) | null,
      reject?: ((reason: unknown) => B | PromiseLike<B>) | null,
    ): PromiseLike<A | B> {
      query.runs++
      const run =
        failAgain && query.runs > 1
          ? Promise.reject(new Error('Query was already executed'))
          : Promise.resolve(value)
      return run.then(resolve, reject)
    },
  }
  return query
}

// Shared by the hostile test files: receivers closed after each test, and the SYNC decision.
/** What each test closes after it: the receivers made with {@link tracked}. */
export const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  await closeLoopbacks()
})

export const DECISION = { approved: true, comment: 'from the handler', approver: 'svc' }
export const FALLBACK = { approved: false, comment: 'fallback', approver: 'svc' }
export const HOOK_THREW = 'A hook failed: wrapHandler threw; the handler kept its own outcome'
export const HOOK_SKIPPED =
  'A hook failed: wrapHandler returned without calling run(); the handler ran after it'
export const never = new Promise<never>(() => {})

/** A test receiver closed after the test. */
export function tracked(options: Partial<TriggerReceiverOptions>): TriggerReceiver {
  const receiver = testReceiver(options)
  closers.push(() => receiver.close({ timeoutMs: 50 }))
  return receiver
}

/** A receiver whose SYNC pre-approval handler counts its runs and returns DECISION. */
export function syncReceiver(
  hooks: ReceiverHooks | ReceiverHooks[],
  handler: () => unknown = () => DECISION,
) {
  const logger = lineLogger()
  const runs = vi.fn(handler)
  const receiver = tracked({ hooks, logger })
  receiver.on('idn:access-request-pre-approval', runs as () => typeof DECISION)
  return { receiver, runs, messages: () => logger.lines.map((line) => line.message) }
}
