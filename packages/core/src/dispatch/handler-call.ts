import type { CompletionClient } from '../callbacks/completion-client.js'
import { errorSummary, TriggerError } from '../errors.js'
import type { WrapHandler } from '../observability/hooks.js'
import { callThroughWrappers } from '../observability/wrap-handler.js'
import { compiledSchema } from '../schemas/compiled-schema.js'
import type { AnyTrigger, RequestResponseTrigger } from '../schemas/define-trigger.js'
import type { TriggerContext, TriggerInvocation, TriggerLogger } from '../types.js'
import type { HandlerEntry } from './handler-entry.js'
import { type Running, STOP } from './running.js'

export { type Running, STOP } from './running.js'

/** What dispatch needs from the receiver around it. */
export interface DispatchEnv {
  logger: TriggerLogger
  /**
   * Keeps work that outlives the reply (callbacks, a handler past its budget) visible to `close()`.
   * `late` marks a SYNC handler past its budget: its outcome reaches no one (ISC has its reply), so
   * a host that freezes after the reply does not wait for it (see receiver/settled-delivery.ts).
   */
  track(work: Promise<unknown>, late?: boolean): void
  /**
   * Set for a delivery its transport delivers again when it fails (an EventBridge event): an
   * ASYNC handler's failure is handed here instead of being sent to ISC as `{ error }`, so that a
   * redelivery can still decide. Unset for HTTP deliveries: ISC never redelivers those.
   */
  redelivers?: ((failure: TriggerError) => void) | undefined
  /**
   * What is running now, for `close()` to stop at its timeout. Each entry is removed as soon as
   * its handler or callback settles, so nothing finished is kept.
   */
  running: Set<Running>
  completion: CompletionClient
  allowedCallbackOrigins: ReadonlySet<string>
  /** How long after receipt an ASYNC/DYNAMIC invocation may be completed. */
  deadlineMs: number
  /** `hooks.wrapHandler`s, outermost first; undefined without any. */
  wrappers?: readonly WrapHandler[] | undefined
}

/**
 * Logs without letting the logger change anything: a logger that throws (on a circular error,
 * a closed stream, ...) never turns a reply or a callback into something else.
 */
export function log(
  env: DispatchEnv,
  level: 'error' | 'warn',
  message: string,
  details?: Record<string, unknown>,
): void {
  try {
    env.logger[level](message, details)
  } catch {}
}

/** The fields every log line about one delivery carries: ids, never values. */
export function ids(trigger: AnyTrigger, invocation: TriggerInvocation | undefined): Record<string, unknown> {
  return { trigger: trigger.id, invocationId: invocation?.invocationId }
}

export function handlerFailed(
  trigger: AnyTrigger,
  cause: unknown,
  env: DispatchEnv,
  invocation?: TriggerInvocation,
): TriggerError {
  log(env, 'error', `The handler of ${trigger.id} failed`, { ...ids(trigger, invocation), error: cause })
  return new TriggerError('HANDLER_FAILED', `The handler of ${trigger.id} failed`, { cause })
}

/**
 * The handler's call: through the receiver's `hooks.wrapHandler`s when it has any (a wrapper's
 * failure is logged and changes nothing, see callThroughWrappers).
 */
function runHandler(entry: HandlerEntry, input: unknown, ctx: TriggerContext, env: DispatchEnv): unknown {
  const wrappers = env.wrappers
  if (wrappers === undefined) return entry.handler(input, ctx)
  return callThroughWrappers(
    wrappers,
    0,
    ctx,
    () => entry.handler(input, ctx),
    (problem, error) =>
      log(env, 'error', `A hook failed: ${problem}`, {
        ...ids(ctx.trigger, ctx.invocation),
        ...(error === undefined ? {} : { error: errorSummary(error) }),
      }),
  )
}

/** Calls the handler; a synchronous throw becomes HANDLER_FAILED (logged). */
export function callHandler(
  entry: HandlerEntry,
  input: unknown,
  ctx: TriggerContext,
  env: DispatchEnv,
): unknown {
  try {
    return runHandler(entry, input, ctx, env)
  } catch (error) {
    throw handlerFailed(entry.trigger, error, env, ctx.invocation)
  }
}

/** Calls the handler, turning a synchronous throw into a rejection. */
export function invoke(
  entry: HandlerEntry,
  input: unknown,
  ctx: TriggerContext,
  env: DispatchEnv,
): Promise<unknown> {
  try {
    return Promise.resolve(runHandler(entry, input, ctx, env))
  } catch (error) {
    return Promise.reject(error)
  }
}

/** A handler's decision parsed with the trigger's output schema (compiled), or INVALID_OUTPUT (logged). */
export function checkedOutput(
  trigger: RequestResponseTrigger,
  output: unknown,
  env: DispatchEnv,
  invocation: TriggerInvocation | undefined,
): unknown {
  const parsed = compiledSchema(trigger.output).safeParse(output)
  if (parsed.success) return parsed.data
  // The issues go to the log, not to ISC: they describe the service's own code.
  log(env, 'error', `The handler of ${trigger.id} returned an output that does not match its schema`, {
    ...ids(trigger, invocation),
    issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), code: issue.code })),
  })
  throw new TriggerError('INVALID_OUTPUT', `The handler of ${trigger.id} returned an invalid output`)
}

export const TIMED_OUT = Symbol('timed out')
export const DEFERRED = Symbol('deferred')

/**
 * What is left of a reply budget of `ms` that started at `receivedAt`: the time before the handler
 * runs (reading the body, the dedupe store) counts, since ISC's own wait started before it.
 */
export function remainingBudget(ms: number, receivedAt: Date): number {
  return Math.max(0, ms - (Date.now() - receivedAt.getTime()))
}

/** A promise that resolves to TIMED_OUT after `ms`, and its cancel. */
export function budget(ms: number): { expired: Promise<typeof TIMED_OUT>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms)
  })
  return { expired, cancel: () => clearTimeout(timer) }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
}

export function noop(): void {}

/**
 * The `ctx.signal` of one delivery, made only when a handler reads it (most never do, and an
 * AbortController costs more than the rest of the context). `close()` aborts it at its timeout
 * through [STOP]; a signal read after that is already aborted.
 */
export abstract class LazySignal implements Running {
  #controller: AbortController | undefined

  get signal(): AbortSignal {
    return this.controller().signal
  }

  /** @internal The controller behind `signal`, made on first use. */
  controller(): AbortController {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      this.signalMade()
    }
    return this.#controller
  }

  /** Called once, when the signal is first made (a subclass may start a deadline timer). */
  protected signalMade(): void {}

  [STOP](reason: Error): 'handler' {
    this.#controller ??= new AbortController() // no deadline timer for a signal already aborted
    this.#controller.abort(reason)
    return 'handler'
  }
}
