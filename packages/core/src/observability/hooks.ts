import type { Mode } from '../dispatch/handler-entry.js'
import { TriggerConfigError, type TriggerErrorCode } from '../errors.js'
import type { TriggerType } from '../schemas/define-trigger.js'
import type { TriggerContext } from '../types.js'

/**
 * One delivery's outcome, as `hooks.onDelivery` receives it once per request the receiver
 * answers: refusals and 401s included (`trigger` is unset until the trigger is resolved, so a 401
 * never names one). Never a credential, a callback secret or a payload value.
 *
 * @example
 * { trigger: 'idn:identity-created', type: 'fire-and-forget', mode: undefined, invocationId: undefined,
 *   status: 200, code: undefined, durationMs: 1.8, queued: false }
 */
export interface DeliveryEvent {
  /** The full trigger id, once resolved. */
  readonly trigger: string | undefined
  /** `fire-and-forget` or `request-response`, once the trigger is known. */
  readonly type: TriggerType | undefined
  /** A request-response handler's mode; unset for fire-and-forget. */
  readonly mode: Mode | undefined
  /** `_metadata.invocationId` of a request-response delivery. */
  readonly invocationId: string | undefined
  /** The reply's HTTP status. */
  readonly status: number
  /** The reply's `error.code`; unset on a 2xx. */
  readonly code: TriggerErrorCode | undefined
  /** From the receiver's first look at the request to its reply, in milliseconds. */
  readonly durationMs: number
  /** True when the delivery was stored for a worker (`queue`) rather than run here. */
  readonly queued: boolean
}

/**
 * Calls `run` (the handler, or the next wrapper) and returns what it returned: to run each handler
 * inside an AsyncLocalStorage context, a logger child, a span or a transaction.
 *
 * @example
 * const wrapHandler: WrapHandler = (ctx, run) => als.run({ trigger: ctx.trigger.id }, run)
 */
export type WrapHandler = (ctx: TriggerContext, run: () => unknown) => unknown

/**
 * What an application hooks into each delivery (the receiver's `hooks` option, one object or an
 * array of them, applied in order; the first `wrapHandler` is the outermost).
 *
 * - `onDelivery(event)` is told each delivery's outcome once its reply is decided. It is not
 *   awaited; a throw or a rejection is logged.
 * - `wrapHandler(ctx, run)` runs around every handler call, in the web process and in a queue's
 *   workers, and only when a handler runs. The receiver uses what `run()` returned (or threw),
 *   whatever the wrapper returns, once the wrapper (or the promise it returns) settles: a reply or
 *   a callback waits for the wrapper (a transaction's commit, say), and a wrapper's own value,
 *   throw or rejection changes nothing. A wrapper that throws, or returns without calling `run()`,
 *   is logged, and the handler runs anyway (an event ISC will not send again is not dropped).
 *   Calling `run()` twice runs the handler once; a thenable the handler returns is adopted once.
 *   A wrapper is part of its handler's time: the limits that bound a handler (the SYNC budget, the
 *   ASYNC/DYNAMIC limit, `close()`'s timeout) bound it too, and a wrapper that never settles is a
 *   handler that never settles.
 *
 * @example
 * const als = new AsyncLocalStorage<{ invocationId?: string }>()
 * createTriggerReceiver({ auth, hooks: {
 *   onDelivery: (e) => metrics.increment('isc.deliveries', { trigger: e.trigger, status: e.status }),
 *   wrapHandler: (ctx, run) => als.run({ invocationId: ctx.invocation?.invocationId }, run),
 * } })
 */
export interface ReceiverHooks {
  onDelivery?: (event: DeliveryEvent) => unknown
  wrapHandler?: WrapHandler
}

/** The receiver's hooks, checked and split by kind; undefined when there are none of a kind. */
export interface ResolvedHooks {
  onDelivery: readonly ((event: DeliveryEvent) => unknown)[] | undefined
  wrappers: readonly WrapHandler[] | undefined
}

/**
 * Checks the `hooks` option (an object or an array of objects with optional functions) at start-up.
 *
 * @example
 * resolveHooks([{ onDelivery: count }, { wrapHandler: (ctx, run) => als.run(ctx, run) }])
 */
export function resolveHooks(hooks: ReceiverHooks | readonly ReceiverHooks[] | undefined): ResolvedHooks {
  const list = hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks as ReceiverHooks]
  const onDelivery: ((event: DeliveryEvent) => unknown)[] = []
  const wrappers: WrapHandler[] = []
  for (const hook of list) {
    if (!hook || typeof hook !== 'object')
      throw new TriggerConfigError(
        'hooks must be an object { onDelivery?, wrapHandler? } or an array of them',
      )
    for (const name of ['onDelivery', 'wrapHandler'] as const)
      if (hook[name] !== undefined && typeof hook[name] !== 'function')
        throw new TriggerConfigError(`hooks.${name} must be a function`)
    if (hook.onDelivery) onDelivery.push(hook.onDelivery)
    if (hook.wrapHandler) wrappers.push(hook.wrapHandler)
  }
  return {
    onDelivery: onDelivery.length ? onDelivery : undefined,
    wrappers: wrappers.length ? wrappers : undefined,
  }
}
