import type { CompletionClient } from '../callbacks/completion-client.js'
import { TriggerError } from '../errors.js'
import { compiledSchema } from '../schemas/compiled-schema.js'
import type { AnyTrigger, RequestResponseTrigger } from '../schemas/define-trigger.js'
import type { TriggerContext, TriggerLogger } from '../types.js'
import type { HandlerEntry } from './handler-entry.js'

/** What dispatch needs from the receiver around it. */
export interface DispatchEnv {
  logger: TriggerLogger
  /** Keeps work that outlives the reply (callbacks, a handler past its budget) visible to `close()`. */
  track(work: Promise<unknown>): void
  /** Aborts when the receiver's close timeout passes. */
  closing: AbortSignal
  completion: CompletionClient
  allowedCallbackOrigins: ReadonlySet<string>
  /** How long after receipt an ASYNC/DYNAMIC invocation may be completed. */
  deadlineMs: number
}

export function handlerFailed(trigger: AnyTrigger, cause: unknown, env: DispatchEnv): TriggerError {
  env.logger.error(`The handler of ${trigger.id} failed`, { trigger: trigger.id, error: cause })
  return new TriggerError('HANDLER_FAILED', `The handler of ${trigger.id} failed`, { cause })
}

/** Calls the handler; a synchronous throw becomes HANDLER_FAILED (logged). */
export function callHandler(
  entry: HandlerEntry,
  input: unknown,
  ctx: TriggerContext,
  env: DispatchEnv,
): unknown {
  try {
    return entry.handler(input, ctx)
  } catch (error) {
    throw handlerFailed(entry.trigger, error, env)
  }
}

/** Calls the handler, turning a synchronous throw into a rejection. */
export function invoke(entry: HandlerEntry, input: unknown, ctx: TriggerContext): Promise<unknown> {
  try {
    return Promise.resolve(entry.handler(input, ctx))
  } catch (error) {
    return Promise.reject(error)
  }
}

/** A handler's decision parsed with the trigger's output schema (compiled), or INVALID_OUTPUT (logged). */
export function checkedOutput(trigger: RequestResponseTrigger, output: unknown, env: DispatchEnv): unknown {
  const parsed = compiledSchema(trigger.output).safeParse(output)
  if (parsed.success) return parsed.data
  // The issues go to the log, not to ISC: they describe the service's own code.
  env.logger.error(`The handler of ${trigger.id} returned an output that does not match its schema`, {
    trigger: trigger.id,
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
