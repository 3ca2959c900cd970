import type { Catalog } from './schemas/catalog/index.js'
import type { AnyTrigger, InputOf, OutputOf, RequestResponseTrigger } from './schemas/define-trigger.js'

/**
 * The id of every trigger in the built-in catalog.
 *
 * @example
 * const id: TriggerId = 'idn:identity-created'
 */
export type TriggerId = keyof Catalog

/**
 * The validated payload of a catalog trigger, as its handler receives it.
 *
 * @example
 * function greet(input: TriggerInput<'idn:identity-created'>) { return input.identity.name }
 */
export type TriggerInput<Id extends TriggerId> = InputOf<Catalog[Id]>

/**
 * What a request-response trigger's handler returns.
 *
 * @example
 * const decision: TriggerOutput<'idn:access-request-pre-approval'> = { approved: true, comment: 'ok', approver: 'svc' }
 */
export type TriggerOutput<Id extends TriggerId> = OutputOf<Catalog[Id]>

/**
 * The `_metadata` ISC adds to request-response deliveries, split off the payload before
 * validation. `invocationId` is taken from `callbackURL` when ISC does not send it.
 */
export interface TriggerInvocation {
  triggerId?: string
  triggerType?: string
  responseMode?: string
  callbackURL?: string
  secret?: string
  invocationId?: string
}

/**
 * The second argument of every handler. Read its properties rather than spreading it: some are
 * getters (a SYNC handler's `signal` is made only when read).
 *
 * @example
 * receiver.on('idn:identity-created', async (input, ctx) => {
 *   await save(input, { signal: ctx.signal, invocation: ctx.invocation?.invocationId })
 * })
 */
export interface TriggerContext<T extends AnyTrigger = AnyTrigger> {
  /** The trigger being delivered (id, name, type, schemas). */
  trigger: T
  /** `_metadata` of the delivery, when ISC sent one. */
  invocation: TriggerInvocation | undefined
  /**
   * This delivery's own signal (made when first read). Aborts when the handler's time is up: the
   * reply budget (SYNC), the invocation's deadline (ASYNC, DYNAMIC), or, in every mode, the
   * receiver's close timeout.
   */
  signal: AbortSignal
  /** When the receiver began handling the delivery. */
  receivedAt: Date
  /**
   * DYNAMIC mode: answer ISC `202` now and send this handler's result through the callback when
   * it settles. A no-op in ASYNC mode (already acknowledged) and for fire-and-forget; an error in
   * SYNC mode.
   */
  defer(): void
}

/** A handler of trigger `T`: a request-response handler returns the decision. */
export type TriggerHandler<T extends AnyTrigger> = T extends RequestResponseTrigger
  ? (input: InputOf<T>, ctx: TriggerContext<T>) => OutputOf<T> | Promise<OutputOf<T>>
  : (input: InputOf<T>, ctx: TriggerContext<T>) => unknown

/**
 * How a request-response handler answers; match the subscription's response type in ISC.
 * - `sync` (default): the decision is the HTTP reply, within `timeoutMs` (default 8000; ISC waits
 *   10 s); past it, `fallback` (200) or a 504.
 * - `async`: ISC gets `200 {}` at once; the decision is POSTed to `_metadata.callbackURL` when the
 *   handler settles (before the invocation's deadline, `completion.deadlineMs`).
 * - `dynamic`: the decision is the reply if the handler settles within `timeoutMs`; if it calls
 *   `ctx.defer()` or runs past the budget, ISC gets `202 {}` and the decision goes by callback.
 *
 * `timeoutMs` counts from the request's arrival, as ISC's own wait does: reading the body and the
 * dedupe store's answer come out of it.
 *
 * @example
 * { mode: 'sync', timeoutMs: 5000, fallback: { approved: false, comment: 'timed out', approver: 'svc' } }
 * { mode: 'async' }
 * { mode: 'dynamic', timeoutMs: 3000 }
 * { mode: 'async', queue: false } // with a receiver `queue`: still decided in the web process
 *
 * With a receiver `queue`, ASYNC and DYNAMIC handlers run in workers (`queue: false` keeps one
 * in the web process); SYNC ones always run in the web process.
 */
export type RequestResponseOptions<Output> =
  | { mode?: 'sync'; timeoutMs?: number; fallback?: Output; queue?: false }
  | { mode: 'async'; queue?: boolean }
  | { mode: 'dynamic'; timeoutMs?: number; queue?: boolean }

/**
 * The options of a fire-and-forget handler. `queue: false` runs it in the web process even when
 * the receiver has a `queue` (by default, with a queue, it runs in a worker).
 *
 * @example
 * receiver.on('idn:identity-created', handler, { queue: false })
 */
export interface EventHandlerOptions {
  queue?: boolean
}

/** The options `receiver.on()` takes for trigger `T`. */
export type HandlerOptions<T extends AnyTrigger> = T extends RequestResponseTrigger
  ? RequestResponseOptions<OutputOf<T>>
  : EventHandlerOptions

/**
 * Where the receiver reports what it could not answer for itself (a handler that threw, a
 * rejected delivery), called `(message, fields)`. Fields such as `trigger` and `invocationId` are
 * ids, never secrets or payload values. Pass a pino or bunyan logger itself (not its bound
 * methods): the receiver recognises it and calls it fields first, as it expects.
 *
 * @example
 * createTriggerReceiver({ auth, logger: pino() })
 * createTriggerReceiver({ auth, logger: { error: (msg, fields) => log.error(msg, fields), warn: (msg, fields) => log.warn(msg, fields) } })
 */
export interface TriggerLogger {
  error(message: string, details?: Record<string, unknown>): void
  warn(message: string, details?: Record<string, unknown>): void
}
