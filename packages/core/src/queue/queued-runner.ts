import type { CompletionReport, CompletionResult } from '../callbacks/completion-client.js'
import { EventContext } from '../dispatch/dispatch.js'
import {
  type DispatchEnv,
  handlerFailed,
  invoke,
  type LazySignal,
  log,
  noop,
} from '../dispatch/handler-call.js'
import { CallbackContext, decide, FAILED, handlerLimit } from '../dispatch/request-response.js'
import { TriggerError } from '../errors.js'
import type { HandlerRegistry } from '../receiver/handler-registry.js'
import type { RequestResponseTrigger } from '../schemas/define-trigger.js'
import type { TriggerLogger } from '../types.js'
import type { QueuedDelivery, TriggerQueue } from './queue-port.js'

/**
 * Options of one run of a stored delivery.
 *
 * @example
 * { signal: job.signal, lastAttempt: job.attemptsMade + 1 >= job.attempts, onDefer: () => replyChannel.deferred(id) }
 */
export interface QueuedRunOptions {
  /** Aborts the handler's `ctx.signal` (the engine cancelled the job). */
  signal?: AbortSignal
  /**
   * Request-response: true when no retry will follow. A handler that throws then decides
   * `{ error }`; before that, the run rejects so the engine retries.
   */
  lastAttempt?: boolean
  /** DYNAMIC: the handler called `ctx.defer()` (the web process may answer 202 at once). */
  onDefer?: () => void
}

/**
 * The worker side of a receiver with a `queue`: runs stored deliveries through the same handlers,
 * schemas and completion client as the web process. For queue engines (`@isc-triggers/bullmq`
 * uses it); get it with {@link queuedDeliveries}.
 *
 * @example
 * const runner = queuedDeliveries(receiver)
 * const decision = await runner.run(delivery, { signal, lastAttempt: attempt === attempts })
 * if (decision) await runner.complete(delivery, decision)
 */
export interface QueuedDeliveryRunner {
  /** The receiver's `queue` option. */
  readonly queue: TriggerQueue | undefined
  /** The receiver's logger (never throws). */
  readonly logger: TriggerLogger
  /**
   * Runs the delivery's handler with its input parsed again by the trigger's schema.
   * Fire-and-forget resolves `undefined` when the handler succeeded and rejects HANDLER_FAILED
   * when it failed (retry it). Request-response resolves the decision to send: `{ output }`
   * (checked against the output schema) or `{ error }` (invalid output, past the deadline, or a
   * failure on the last attempt). Rejects INVALID_PAYLOAD when the stored input no longer
   * matches the schema (retrying cannot fix it) and UNKNOWN_TRIGGER without a handler.
   */
  run(delivery: QueuedDelivery, options?: QueuedRunOptions): Promise<CompletionResult | undefined>
  /**
   * Sends a decision to the delivery's callback URL through the receiver's completion client
   * (the callback guard applies again: the URL came from a request body). Never rejects.
   */
  complete(
    delivery: QueuedDelivery,
    result: CompletionResult,
    options?: { signal?: AbortSignal },
  ): Promise<CompletionReport>
}

/**
 * Aborts `ctx.signal` when the engine's signal does, until the returned function is called (the
 * run settled): a listener left on a long-lived signal would keep every job's context, secret
 * included, alive for the worker's life.
 */
function follow(signal: AbortSignal | undefined, ctx: LazySignal): () => void {
  if (!signal) return noop
  const stop = () => ctx.controller().abort(signal.reason ?? new TriggerError('SHUTTING_DOWN', 'Cancelled'))
  if (signal.aborted) {
    stop()
    return noop
  }
  signal.addEventListener('abort', stop, { once: true })
  return () => signal.removeEventListener('abort', stop)
}

/** @internal Made by the receiver; see {@link queuedDeliveries}. */
export function createQueuedRunner(
  queue: TriggerQueue | undefined,
  handlers: HandlerRegistry,
  env: DispatchEnv,
): QueuedDeliveryRunner {
  // handler-call's log(): a throwing logger changes nothing.
  const safeLogger: TriggerLogger = {
    error: (message, details) => log(env, 'error', message, details),
    warn: (message, details) => log(env, 'warn', message, details),
  }
  return {
    queue,
    logger: safeLogger,
    async run(delivery, options = {}) {
      const entry = handlers.resolve(delivery.trigger)
      const input = entry.parseInput(delivery.input)
      const receivedAt = new Date(delivery.receivedAt)
      const trigger = entry.trigger
      if (trigger.type === 'fire-and-forget') {
        const ctx = new EventContext(trigger, delivery.invocation, receivedAt)
        const unfollow = follow(options.signal, ctx)
        try {
          await invoke(entry, input, ctx, env)
        } catch (error) {
          throw handlerFailed(trigger, error, env, delivery.invocation)
        } finally {
          unfollow()
        }
        return undefined
      }
      const rr = trigger as RequestResponseTrigger
      const deadline = delivery.deadlineAt ?? delivery.receivedAt + env.deadlineMs
      const ctx = new CallbackContext(rr, delivery.invocation, receivedAt, options.onDefer ?? noop)
      const unfollow = follow(options.signal, ctx)
      try {
        const work = ctx.bound(invoke(entry, input, ctx, env), handlerLimit(deadline, env), noop)
        const result = await decide(rr, work, env, noop, delivery.invocation)
        if (result === FAILED && !options.lastAttempt)
          throw new TriggerError('HANDLER_FAILED', `The handler of ${rr.id} failed; it will be retried`)
        return result
      } finally {
        unfollow()
      }
    },
    complete(delivery, result, options = {}) {
      const invocation = delivery.invocation
      const target = {
        callbackURL: invocation?.callbackURL ?? '',
        secret: invocation?.secret ?? '',
        invocationId: invocation?.invocationId,
        triggerId: invocation?.triggerId ?? delivery.trigger,
      }
      const deadline = delivery.deadlineAt ?? delivery.receivedAt + env.deadlineMs
      return env.completion.complete(target, result, { deadline, ...options })
    },
  }
}
