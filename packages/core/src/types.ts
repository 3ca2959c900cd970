import type { Catalog } from './catalog/index.js'
import type { AnyTrigger, InputOf, OutputOf, RequestResponseTrigger } from './registry.js'

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
 * The second argument of every handler.
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
  /** Aborts when the reply budget is spent (request-response SYNC) or the receiver closes. */
  signal: AbortSignal
  /** When the receiver began handling the delivery. */
  receivedAt: Date
}

/** A handler of trigger `T`: a request-response handler returns the decision. */
export type TriggerHandler<T extends AnyTrigger> = T extends RequestResponseTrigger
  ? (input: InputOf<T>, ctx: TriggerContext<T>) => OutputOf<T> | Promise<OutputOf<T>>
  : (input: InputOf<T>, ctx: TriggerContext<T>) => unknown

/**
 * Options of a request-response handler. Only `mode: 'sync'` exists so far: the decision is the
 * HTTP reply, within `timeoutMs` (default 8000; ISC waits 10 s), else `fallback` or a 504.
 *
 * @example
 * { mode: 'sync', timeoutMs: 5000, fallback: { approved: false, comment: 'timed out', approver: 'svc' } }
 */
export interface RequestResponseOptions<Output> {
  mode?: 'sync'
  timeoutMs?: number
  fallback?: Output
}

/** The options `receiver.on()` takes for trigger `T`. */
export type HandlerOptions<T extends AnyTrigger> = T extends RequestResponseTrigger
  ? RequestResponseOptions<OutputOf<T>>
  : Record<string, never>

/**
 * Where the receiver reports what it could not answer for itself (a handler that threw, a
 * rejected delivery). Messages never carry secrets or payload values.
 *
 * @example
 * createTriggerReceiver({ auth, logger: { error: pino.error.bind(pino), warn: pino.warn.bind(pino) } })
 */
export interface TriggerLogger {
  error(message: string, details?: Record<string, unknown>): void
  warn(message: string, details?: Record<string, unknown>): void
}
