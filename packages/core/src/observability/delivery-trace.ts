import type { HandlerEntry } from '../dispatch/handler-entry.js'
import { isTriggerError, TriggerError } from '../errors.js'
import type { TriggerReply } from '../http/reply.js'
import type { TriggerInvocation } from '../types.js'
import { type DeliveryTraceContext, deliveryChannel } from './channels.js'
import type { DeliveryEvent } from './hooks.js'

/** Tells each `onDelivery` hook (see receiver/tell-delivery.ts). */
export type TellDelivery = (event: DeliveryEvent) => void

/**
 * One delivery as observers see it: its `isc-triggers:delivery` context, published when the
 * channel had subscribers at the start, and its `onDelivery` event. Made only when someone
 * listens ({@link openDeliveryTrace}); the pipeline fills it in as it learns the trigger.
 *
 * Events follow TracingChannel's order for a promise, for every delivery: `start` (the delivery's
 * synchronous part runs inside `start.runStores`, so stores bound to the channel, such as a
 * tracer's context, are active in the handler), `end` when that part returns, then, once the reply
 * is decided, `error` (a 5xx), `asyncStart` and `asyncEnd`. A reply decided during the
 * synchronous part has its status set before `end`; every reply before `asyncEnd`.
 */
export class DeliveryTrace {
  readonly context: DeliveryTraceContext = {
    trigger: undefined,
    type: undefined,
    mode: undefined,
    invocationId: undefined,
    status: undefined,
    errorCode: undefined,
    queued: false,
  }
  readonly #publish: boolean
  readonly #tell: TellDelivery | undefined
  readonly #started = performance.now()
  #returned = false
  #finished = false
  #failed = false
  /** What onDelivery is told: kept here, since subscribers share (and may change) the context. */
  #state: Omit<DeliveryTraceContext, 'error'> = { ...this.context }

  constructor(publish: boolean, tell: TellDelivery | undefined) {
    this.#publish = publish
    this.#tell = tell
  }

  /** The trigger, once resolved (from the URL or `_metadata`). */
  resolved(entry: HandlerEntry): void {
    const trigger = entry.trigger
    this.set('trigger', trigger.id)
    this.set('type', trigger.type)
    this.set('mode', trigger.type === 'request-response' ? entry.mode : undefined)
  }

  invoked(invocation: TriggerInvocation | undefined): void {
    this.set('invocationId', invocation?.invocationId)
  }

  /** Sets a field; a context a subscriber froze or sealed changes nothing here. */
  set<K extends keyof DeliveryTraceContext>(key: K, value: DeliveryTraceContext[K]): void {
    if (key !== 'error') (this.#state as Record<string, unknown>)[key] = value
    try {
      this.context[key] = value
    } catch {}
  }

  /**
   * Runs the delivery's synchronous part between `start` and `end` (with `finally`: whatever
   * `part` does, `end` follows), then the rest once the reply is decided.
   */
  run(part: () => void): void {
    try {
      if (this.#publish) deliveryChannel.start.runStores(this.context, part)
      else part()
    } finally {
      this.#returned = true
      if (this.#publish) deliveryChannel.end.publish(this.context)
      if (this.#finished) this.#settled()
    }
  }

  /** The reply is decided (`error`: what it was made from, for an error reply). */
  finish(reply: TriggerReply, error: unknown): void {
    if (this.#finished) return
    this.#finished = true
    this.set('status', reply.status)
    if (reply.status >= 400) {
      const known = isTriggerError(error) ? error : undefined
      const code = known?.code ?? 'HANDLER_FAILED'
      this.set('errorCode', code)
      // The reply's code and message only: the handler's own error may carry payload values.
      if (reply.status >= 500 && this.#publish) {
        this.#failed = true
        this.set('error', new TriggerError(code, known?.message ?? 'The trigger handler failed'))
      }
    }
    // Decided during the synchronous part: the rest follows `end`, in run().
    if (this.#returned) this.#settled()
  }

  /**
   * After `end`, as for a promise (TracingChannel's `tracePromise` order): `error` on a 5xx, then
   * `asyncStart` and `asyncEnd` for every delivery, however early its reply was decided; then
   * `onDelivery`.
   */
  #settled(): void {
    if (this.#publish) {
      const context = this.context
      if (this.#failed) deliveryChannel.error.publish(context)
      deliveryChannel.asyncStart.publish(context)
      deliveryChannel.asyncEnd.publish(context)
    }
    this.#told()
  }

  #told(): void {
    const tell = this.#tell
    if (!tell) return
    const c = this.#state
    tell(
      Object.freeze({
        trigger: c.trigger,
        type: c.type,
        mode: c.mode,
        invocationId: c.invocationId,
        status: c.status ?? 500,
        code: c.errorCode,
        durationMs: performance.now() - this.#started,
        queued: c.queued,
      }),
    )
  }
}

/**
 * A trace for one delivery, or undefined when nobody listens (no channel subscriber, no
 * `onDelivery` hook): then a delivery costs one `hasSubscribers` check.
 *
 * @example
 * const trace = openDeliveryTrace(tellHooks)
 * if (trace) trace.run(() => pipeline.process(request, trace))
 */
export function openDeliveryTrace(tell: TellDelivery | undefined): DeliveryTrace | undefined {
  const publish = deliveryChannel.hasSubscribers
  if (!publish && tell === undefined) return undefined
  return new DeliveryTrace(publish, tell)
}
