// The receiver's `node:diagnostics_channel` tracing channels: a public contract, documented in the
// core README ("Observability"). Channels are global by name, so the ESM and CommonJS builds of
// this package publish to the same ones, and a subscriber (such as @isc-triggers/otel) needs no
// reference to a receiver. Nothing is published, and no context is made, unless someone
// subscribed before the delivery (or attempt) started: `hasSubscribers` is checked first.
import { tracingChannel } from 'node:diagnostics_channel'
import type { Mode } from '../dispatch/handler-entry.js'
import type { TriggerErrorCode } from '../errors.js'
import type { TriggerType } from '../schemas/define-trigger.js'

/**
 * The name of the tracing channel around every delivery (see {@link DeliveryTraceContext}).
 *
 * @example
 * tracingChannel(DELIVERY_CHANNEL).subscribe({ start() {}, end() {}, asyncStart() {}, error() {}, asyncEnd: record })
 */
export const DELIVERY_CHANNEL = 'isc-triggers:delivery'
/**
 * The name of the tracing channel around every callback (completion) attempt (see
 * {@link CallbackTraceContext}).
 *
 * @example
 * tracingChannel(CALLBACK_CHANNEL).subscribe({ start() {}, end() {}, asyncStart() {}, error() {}, asyncEnd: record })
 */
export const CALLBACK_CHANNEL = 'isc-triggers:callback'

/**
 * The context of one delivery on the `isc-triggers:delivery` tracing channel: one per request the
 * receiver answers, 401s included. Fields fill in as the delivery goes through the receiver. Every
 * delivery publishes `start`, `end`, then (`error` on a 5xx) `asyncStart` and `asyncEnd`, as a
 * promise does; `status` (and `errorCode` for an error reply) is set before `asyncEnd`, and
 * already before `end` for a reply decided at once. Never a credential, a callback secret or a
 * payload value.
 *
 * @example
 * import { tracingChannel } from 'node:diagnostics_channel'
 * tracingChannel<unknown, DeliveryTraceContext>('isc-triggers:delivery').subscribe({
 *   start() {}, end() {}, asyncStart() {}, error() {},
 *   asyncEnd(ctx) { console.log(ctx.trigger, ctx.status, ctx.errorCode) },
 * })
 */
export interface DeliveryTraceContext {
  /** The full trigger id (`idn:identity-created`); unset until resolved (a 401, an unknown trigger). */
  trigger: string | undefined
  /** `fire-and-forget` or `request-response`, once the trigger is known. */
  type: TriggerType | undefined
  /** A request-response handler's mode (`sync`, `async`, `dynamic`); unset for fire-and-forget. */
  mode: Mode | undefined
  /** `_metadata.invocationId` of a request-response delivery. */
  invocationId: string | undefined
  /** The reply's HTTP status. */
  status: number | undefined
  /** The reply's `error.code`; unset on a 2xx. */
  errorCode: TriggerErrorCode | undefined
  /** True when the delivery was stored for a worker (`queue`) rather than run here. */
  queued: boolean
  /** On a 5xx: an error with the reply's code and message (never the handler's own error). */
  error?: Error
}

/**
 * The context of one callback attempt (a POST of a decision to ISC's callback URL) on the
 * `isc-triggers:callback` tracing channel. `outcome` is set before `asyncEnd`.
 *
 * @example
 * tracingChannel<unknown, CallbackTraceContext>('isc-triggers:callback').subscribe({
 *   start() {}, end() {}, asyncStart() {}, error() {},
 *   asyncEnd(ctx) { console.log(ctx.invocationId, ctx.attempt, ctx.outcome) },
 * })
 */
export interface CallbackTraceContext {
  /** The trigger id the invocation belongs to. */
  trigger: string | undefined
  invocationId: string | undefined
  /** 1 for the first attempt of a completion, then 2, 3, ... */
  attempt: number
  /**
   * What the callback tells ISC: the handler's `output`, or an `error` (the handler failed, ran
   * past its limit or returned an invalid decision): an ASYNC handler's failure shows here, after
   * its delivery (answered `200 {}` at once) has ended.
   */
  decision: 'output' | 'error'
  /**
   * What the attempt ended with: `completed` (ISC accepted), `rejected` (a final 3xx/4xx), `retry`
   * (a 429, 5xx, 401 with a token refresh, a network error or a timeout: another attempt may
   * follow) or `abandoned` (the run was stopped during the attempt).
   */
  outcome: CallbackAttemptOutcome | undefined
  /** ISC's HTTP status, when it answered. */
  status: number | undefined
  /** A network error or time-out (no answer). */
  error?: Error
}

/**
 * What one callback attempt ended with; see {@link CallbackTraceContext}.
 *
 * @example
 * if (ctx.outcome === 'rejected') alert(`ISC refused the decision of ${ctx.invocationId}`)
 */
export type CallbackAttemptOutcome = 'completed' | 'rejected' | 'retry' | 'abandoned'

export const deliveryChannel = tracingChannel<unknown, DeliveryTraceContext>(DELIVERY_CHANNEL)
export const callbackChannel = tracingChannel<unknown, CallbackTraceContext>(CALLBACK_CHANNEL)
