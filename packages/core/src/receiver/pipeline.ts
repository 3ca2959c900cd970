import { splitMetadata } from '../callbacks/metadata.js'
import { dedupeKey } from '../dedupe/dedupe.js'
import { dispatchOnce } from '../dedupe/dispatch-once.js'
import { type DispatchEnv, dispatch } from '../dispatch/dispatch.js'
import { log } from '../dispatch/handler-call.js'
import { byCallback, type HandlerEntry } from '../dispatch/handler-entry.js'
import { errorSummary, isTriggerError, TriggerError } from '../errors.js'
import { isBodyStream, readBodyStream } from '../http/body-stream.js'
import { normaliseHeaders, type TriggerHeaders } from '../http/headers.js'
import { parseBody, tooLarge } from '../http/json-body.js'
import { assertIdentityEncoding, assertJsonContentType } from '../http/media-type.js'
import type { TriggerReply } from '../http/reply.js'
import { type DeliveryTrace, openDeliveryTrace, type TellDelivery } from '../observability/delivery-trace.js'
import { enqueueDelivery, goesToQueue, queuedDelivery } from '../queue/enqueue.js'
import type { TriggerInvocation } from '../types.js'
import type { HandlerRegistry } from './handler-registry.js'
import type { Lifecycle } from './lifecycle.js'
import type { TriggerRequest } from './receiver.js'
import type { ReceiverSettings } from './receiver-options.js'
import { noteRefusal, type RefusalEnv, replyToError } from './rejection.js'
import { tellDelivery } from './tell-delivery.js'

/**
 * A delivery from a transport that authenticates its sender itself (an EventBridge rule: IAM
 * guards the bus) and has no reply: the trigger it names and the payload, `_metadata` included.
 *
 * @example
 * { trigger: event['detail-type'], payload: event.detail, receivedAt: new Date(event.time) }
 */
export interface TrustedEvent {
  /** The full trigger id or the name alone; without it, `_metadata.triggerId` decides. */
  trigger?: string | undefined
  /** The payload as ISC sent it: an object, or its JSON text or bytes. */
  payload: unknown
  /**
   * When the transport first received the event (EventBridge's `time`), which a redelivery keeps:
   * the invocation's deadline (`completion.deadlineMs`) and the handler's limit count from it, so
   * a retry hours later gets what is left of the deadline, not a fresh one. Now when it is
   * missing, not a valid date, or in the future (another clock).
   */
  receivedAt?: Date | undefined
}

/** Where a delivery's reply goes; `error` is what an error reply was made from. */
export type SendReply = (reply: TriggerReply, error?: unknown) => void

/**
 * One delivery's way through the receiver, in DESIGN.md's order: method, credentials, shutdown,
 * media type and encoding, the trigger named in the URL, the declared length, the body (read within
 * the limits), JSON, `_metadata`, the trigger's schema, dedupe, then dispatch (or, with a
 * `queue`, the store). Synchronous wherever
 * nothing waits: each promise on the way would cost every request a microtask.
 *
 * @example
 * new DeliveryPipeline(settings, handlers, lifecycle).answer(request, (reply) => writeReply(res, reply))
 */
export class DeliveryPipeline {
  readonly #settings: ReceiverSettings
  readonly #handlers: HandlerRegistry
  readonly #lifecycle: Lifecycle
  readonly #refusals: RefusalEnv
  readonly #env: DispatchEnv
  readonly #tell: TellDelivery | undefined

  /** What dispatch needs, shared with the worker side (queuedDeliveries). */
  get env(): DispatchEnv {
    return this.#env
  }

  /** What a refusal needs (`onRejected`), for a caller that watches one delivery's refusal. */
  get refusals(): RefusalEnv {
    return this.#refusals
  }

  constructor(settings: ReceiverSettings, handlers: HandlerRegistry, lifecycle: Lifecycle) {
    this.#settings = settings
    this.#handlers = handlers
    this.#lifecycle = lifecycle
    this.#refusals = {
      onRejected: settings.onRejected,
      logger: settings.logger,
      limits: settings.readLimits,
    }
    this.#env = {
      logger: settings.logger,
      running: lifecycle.running,
      track: (work) => lifecycle.track(work),
      completion: settings.completion,
      allowedCallbackOrigins: settings.allowedCallbackOrigins,
      deadlineMs: settings.deadlineMs,
      wrappers: settings.hooks.wrappers,
    }
    this.#tell = tellDelivery(settings.hooks.onDelivery, settings.logger)
  }

  /**
   * Handles one delivery and passes the reply to `send`: at once when nothing has to wait (a body
   * already read, a handler that returns without a promise), else when it is ready. `send` is
   * called exactly once; a refusal's reply waits for `onRejected` (replyToError never rejects).
   * `env` and `refusals` are the receiver's own unless a caller watches this delivery's work and
   * its `onRejected` (settled-delivery.ts).
   */
  answer(
    request: TriggerRequest,
    send: SendReply,
    env: DispatchEnv = this.#env,
    refusals: RefusalEnv = this.#refusals,
  ): void {
    this.#lifecycle.begin()
    // Observed only when someone listens (a channel subscriber, an onDelivery hook).
    const trace = openDeliveryTrace(this.#tell)
    if (trace === undefined) this.#answer(request, false, send, undefined, env, refusals)
    else trace.run(() => this.#answer(request, false, send, trace, env, refusals))
  }

  /**
   * Handles a {@link TrustedEvent} as `answer()` handles a request, with what only HTTP needs left
   * out (method, credentials, media type, body reading): the payload is parsed, split from its
   * `_metadata`, validated and dispatched the same way, refusals go to `onRejected`, and hooks,
   * the tracing channel and `close()` see it as any delivery. There is no reply to carry a
   * decision, so a request-response handler of any mode decides by callback (byCallback).
   */
  answerEvent(event: TrustedEvent, send: SendReply, env: DispatchEnv, refusals: RefusalEnv): void {
    this.#lifecycle.begin()
    const trace = openDeliveryTrace(this.#tell)
    if (trace === undefined) this.#answer(event, true, send, undefined, env, refusals)
    else trace.run(() => this.#answer(event, true, send, trace, env, refusals))
  }

  #answer(
    delivery: TriggerRequest | TrustedEvent,
    trusted: boolean,
    send: SendReply,
    trace: DeliveryTrace | undefined,
    env: DispatchEnv,
    refusals: RefusalEnv,
  ): void {
    let outcome: TriggerReply | Promise<TriggerReply>
    try {
      outcome = trusted
        ? this.#receiveEvent(delivery as TrustedEvent, trace, env)
        : this.#process(delivery as TriggerRequest, trace, env)
    } catch (error) {
      this.#refuse(error, send, trace, refusals)
      return
    }
    if (!(outcome instanceof Promise)) this.#send(outcome, send, trace, undefined)
    else
      outcome.then(
        (reply) => this.#send(reply, send, trace, undefined),
        (error: unknown) => this.#refuse(error, send, trace, refusals),
      )
  }

  #refuse(error: unknown, send: SendReply, trace: DeliveryTrace | undefined, refusals: RefusalEnv): void {
    const reply = replyToError(error, refusals)
    if (reply instanceof Promise) reply.then((late) => this.#send(late, send, trace, error))
    else this.#send(reply, send, trace, error)
  }

  #send(reply: TriggerReply, send: SendReply, trace: DeliveryTrace | undefined, error: unknown): void {
    this.#lifecycle.end()
    try {
      send(reply, error)
    } finally {
      trace?.finish(reply, error)
    }
  }

  /** Checks, reads, validates and dispatches one delivery. */
  #process(
    request: TriggerRequest,
    trace: DeliveryTrace | undefined,
    env: DispatchEnv,
  ): TriggerReply | Promise<TriggerReply> {
    const receivedAt = new Date()
    if (request.method !== 'POST')
      throw new TriggerError('METHOD_NOT_ALLOWED', 'Triggers are delivered with POST', {
        headers: { allow: 'POST' },
      })
    const headers = normaliseHeaders(request.headers)
    let verifying: void | Promise<void>
    try {
      verifying = this.#settings.verify(headers) // only a custom verifier may be asynchronous
    } catch (error) {
      throw this.#verifierFailed(error)
    }
    if (verifying)
      return verifying.then(
        () => this.#admit(request, headers, receivedAt, trace, env),
        (error: unknown) => {
          throw this.#verifierFailed(error)
        },
      )
    return this.#admit(request, headers, receivedAt, trace, env)
  }

  /**
   * A custom `auth.verify` that threw (its store is down, say) rather than answering: logged, and
   * the delivery gets a 500 that says the credentials could not be checked.
   */
  #verifierFailed(error: unknown): unknown {
    if (isTriggerError(error)) return error // the 401 of a verifier that said no
    // Its name and code only: a verifier's message could quote the credentials it was given.
    const { name, code } = errorSummary(error)
    log(this.#env, 'error', 'auth.verify failed; the delivery could not be authenticated', {
      error: { name, code },
    })
    return new TriggerError('HANDLER_FAILED', 'The credentials could not be checked')
  }

  /**
   * An authenticated delivery that arrives after `close()` is refused (503), and noted for
   * onRejected: ISC will not send it again, so it must not be dropped unseen.
   */
  #admit(
    request: TriggerRequest,
    headers: TriggerHeaders,
    receivedAt: Date,
    trace: DeliveryTrace | undefined,
    env: DispatchEnv,
  ): TriggerReply | Promise<TriggerReply> {
    if (!this.#lifecycle.closed) return this.#receive(request, headers, receivedAt, trace, env)
    throw noteRefusal(shuttingDown(), request.body, request.trigger, receivedAt)
  }

  /**
   * A trusted event: refused (503, noted for onRejected) after `close()`, its trigger resolved
   * (for a decision by callback), then parsed, validated and dispatched as any body in memory.
   */
  #receiveEvent(
    event: TrustedEvent,
    trace: DeliveryTrace | undefined,
    env: DispatchEnv,
  ): TriggerReply | Promise<TriggerReply> {
    const receivedAt = receivedAtOf(event)
    const asked = event.trigger
    let named: HandlerEntry | undefined
    try {
      if (this.#lifecycle.closed) throw shuttingDown()
      named = asked ? byCallback(this.#handlers.resolve(asked)) : undefined
      if (named) trace?.resolved(named)
    } catch (error) {
      throw noteRefusal(error, event.payload, asked, receivedAt)
    }
    return this.#deliver((event.payload ?? '') as object, named, asked, receivedAt, trace, env, true)
  }

  #receive(
    request: TriggerRequest,
    headers: TriggerHeaders,
    receivedAt: Date,
    trace: DeliveryTrace | undefined,
    env: DispatchEnv,
  ): TriggerReply | Promise<TriggerReply> {
    // Every refusal from here on is of an authenticated delivery: noteRefusal() marks it for
    // onRejected with the body as it is at that point (only failures pay for it).
    const asked = request.trigger
    const body = request.body
    let named: HandlerEntry | undefined
    try {
      assertJsonContentType(headers['content-type'])
      assertIdentityEncoding(headers['content-encoding'])
      // A trigger named in the URL is resolved before the body is read.
      named = asked ? this.#handlers.resolve(asked) : undefined
      if (named) trace?.resolved(named)
      this.#checkDeclaredLength(headers)
    } catch (error) {
      throw noteRefusal(error, body, asked, receivedAt)
    }
    // The declared length lets raw-body refuse a body of any other length (400 INCOMPLETE_BODY);
    // Node's HTTP parser frames a socket's body by it too, so on a real request they agree.
    if (isBodyStream(body))
      return readBodyStream(body, this.#settings.readLimits, headers['content-length']).then(
        (bytes) => this.#deliver(bytes, named, asked, receivedAt, trace, env, false),
        (error: unknown) => {
          throw noteRefusal(error, body, asked, receivedAt)
        },
      )
    return this.#deliver(body ?? '', named, asked, receivedAt, trace, env, false)
  }

  /**
   * Parses, validates and dispatches a body in memory (`raw`: as received, for onRejected);
   * `trusted`: a trusted event's, whose handler decides by callback.
   */
  #deliver(
    raw: Uint8Array | ArrayBuffer | string | object,
    named: HandlerEntry | undefined,
    asked: string | undefined,
    receivedAt: Date,
    trace: DeliveryTrace | undefined,
    env: DispatchEnv,
    trusted: boolean,
  ): TriggerReply | Promise<TriggerReply> {
    let invocation: TriggerInvocation | undefined
    try {
      const split = splitMetadata(parseBody(raw, this.#settings.readLimits.limit))
      invocation = split.invocation
      const input = split.input
      let entry = named ?? this.#handlers.resolveFromMetadata(invocation)
      if (trusted && !named) entry = byCallback(entry)
      if (trace) {
        trace.invoked(invocation)
        if (!named) trace.resolved(entry)
      }
      const trigger = entry.trigger
      const payload = entry.parseInput(input)
      const dedupe = this.#settings.dedupe
      const key = dedupe ? dedupeKey(dedupe.options, trigger, payload, invocation, env.logger) : undefined
      const queue = this.#settings.queue
      if (queue && goesToQueue(entry)) {
        if (trace) trace.set('queued', true)
        const delivery = queuedDelivery(entry, input, invocation, receivedAt, key, env)
        return enqueueDelivery(queue, delivery, entry, env).catch((error: unknown) => {
          throw noteRefusal(error, raw, asked ?? invocation?.triggerId, receivedAt)
        })
      }
      if (dedupe === undefined || key === undefined)
        return dispatch(entry, payload, invocation, receivedAt, env)
      const claim = { store: dedupe.options.store, key, ttlMs: dedupe.ttlMs, timeoutMs: dedupe.timeoutMs }
      // The only error left after the claim is an invalid callback (400), for onRejected.
      const refused = (error: unknown) => {
        throw noteRefusal(error, raw, asked ?? invocation?.triggerId, receivedAt)
      }
      return dispatchOnce(claim, entry, payload, invocation, receivedAt, env).catch(refused)
    } catch (error) {
      throw noteRefusal(error, raw, asked ?? invocation?.triggerId, receivedAt)
    }
  }

  /**
   * The declared length is checked whatever state the body is in: it is the only size left to
   * check when a framework's parser already turned the body into an object.
   */
  #checkDeclaredLength(headers: TriggerHeaders): void {
    const length = headers['content-length']
    const limit = this.#settings.readLimits.limit
    if (length !== undefined && Number(length) > limit) throw tooLarge(limit)
  }
}

function shuttingDown(): TriggerError {
  return new TriggerError('SHUTTING_DOWN', 'The receiver is shutting down')
}

/** A trusted event's `receivedAt` when it is a valid date not in the future, else now. */
function receivedAtOf(event: TrustedEvent): Date {
  const now = new Date()
  const at = event.receivedAt
  return at instanceof Date && at.getTime() <= now.getTime() ? at : now
}
