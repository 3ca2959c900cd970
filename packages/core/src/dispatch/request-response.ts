import { checkCallbackUrl } from '../callbacks/callback-guard.js'
import type { CompletionResult, CompletionTarget } from '../callbacks/completion-client.js'
import { isTriggerError, TriggerError } from '../errors.js'
import { ackReply, jsonReply, type TriggerReply } from '../http/reply.js'
import type { RequestResponseTrigger } from '../schemas/define-trigger.js'
import type { TriggerContext, TriggerInvocation } from '../types.js'
import {
  budget,
  checkedOutput,
  DEFERRED,
  type DispatchEnv,
  handlerFailed,
  invoke,
  noop,
  remainingBudget,
  TIMED_OUT,
} from './handler-call.js'
import type { HandlerEntry } from './handler-entry.js'

/** ASYNC and DYNAMIC need somewhere to send the decision: checked before the handler runs. */
function callbackTarget(invocation: TriggerInvocation | undefined, env: DispatchEnv): CompletionTarget {
  if (!invocation?.callbackURL || !invocation.secret)
    throw new TriggerError(
      'INVALID_CALLBACK',
      'An async or dynamic delivery needs _metadata.callbackURL and _metadata.secret to complete the invocation',
    )
  checkCallbackUrl(invocation.callbackURL, env.allowedCallbackOrigins)
  return {
    callbackURL: invocation.callbackURL,
    secret: invocation.secret,
    invocationId: invocation.invocationId,
    triggerId: invocation.triggerId,
  }
}

/**
 * Sends the handler's eventual decision (or an error) through the callback, in the background,
 * visible to `close()`. The error sent to ISC is generic: details stay in the service's log.
 * `failed` is told when the handler threw or returned an invalid decision (dedupe gives its claim back).
 */
function completeLater(
  trigger: RequestResponseTrigger,
  work: Promise<unknown>,
  target: CompletionTarget,
  deadline: number,
  stop: () => void,
  env: DispatchEnv,
  failed: () => void,
): void {
  const completion = (async () => {
    let result: CompletionResult
    try {
      result = { output: checkedOutput(trigger, await work, env) }
    } catch (error) {
      failed()
      const invalid = isTriggerError(error) && error.code === 'INVALID_OUTPUT'
      if (!invalid) handlerFailed(trigger, error, env)
      result = {
        error: invalid ? 'The subscriber returned an invalid decision' : 'The subscriber failed to decide',
      }
    }
    const report = await env.completion.complete(target, result, { deadline })
    stop()
    if (report.outcome !== 'completed')
      env.logger.error(`The ${trigger.id} invocation was not completed (${report.outcome})`, {
        trigger: trigger.id,
        invocationId: report.invocationId,
        attempts: report.attempts,
        status: report.status,
        reason: report.reason,
      })
  })()
  env.track(completion)
}

/** A controller that aborts at the invocation's deadline (a timer that does not hold the process open). */
function deadlineController(deadline: number): { controller: AbortController; stop: () => void } {
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new TriggerError('RESPONSE_TIMEOUT', 'The invocation deadline passed')),
    Math.max(0, deadline - Date.now()),
  )
  timer.unref()
  return { controller, stop: () => clearTimeout(timer) }
}

/** Where a callback mode's decision goes, and until when (checked before the handler runs). */
interface Callback {
  target: CompletionTarget
  deadline: number
  /** Aborts at the invocation's deadline; the handler's `ctx.signal`. */
  controller: AbortController
  stop: () => void
}

function prepareCallback(
  invocation: TriggerInvocation | undefined,
  receivedAt: Date,
  env: DispatchEnv,
): Callback {
  const target = callbackTarget(invocation, env)
  const deadline = receivedAt.getTime() + env.deadlineMs
  const { controller, stop } = deadlineController(deadline)
  return { target, deadline, controller, stop }
}

/** ASYNC: `200 {}` at once; the decision goes by callback. */
export function runAsync(
  entry: HandlerEntry,
  trigger: RequestResponseTrigger,
  input: unknown,
  invocation: TriggerInvocation | undefined,
  receivedAt: Date,
  env: DispatchEnv,
  failedLater: () => void = noop,
): TriggerReply {
  const call = prepareCallback(invocation, receivedAt, env)
  const ctx: TriggerContext = { trigger, invocation, signal: call.controller.signal, receivedAt, defer: noop }
  completeLater(trigger, invoke(entry, input, ctx), call.target, call.deadline, call.stop, env, failedLater)
  return ackReply()
}

/** DYNAMIC: the decision now if it comes within the budget; else (or when deferred) 202 and the callback. */
export async function runDynamic(
  entry: HandlerEntry,
  trigger: RequestResponseTrigger,
  input: unknown,
  invocation: TriggerInvocation | undefined,
  receivedAt: Date,
  env: DispatchEnv,
  failedLater: () => void = noop,
): Promise<TriggerReply> {
  const call = prepareCallback(invocation, receivedAt, env)
  let resolveDeferred = noop
  let deferRequested = false
  const deferred = new Promise<typeof DEFERRED>((resolve) => {
    resolveDeferred = () => resolve(DEFERRED)
  })
  const defer = () => {
    deferRequested = true
    resolveDeferred()
  }
  const ctx: TriggerContext = {
    trigger,
    invocation,
    signal: call.controller.signal,
    receivedAt,
    defer: () => defer(),
  }
  const { expired, cancel } = budget(remainingBudget(entry.timeoutMs, receivedAt))
  const work = invoke(entry, input, ctx)
  let first: unknown
  try {
    first = await Promise.race([work, expired, deferred])
  } catch (error) {
    if (!deferRequested) {
      call.stop()
      throw handlerFailed(trigger, error, env)
    }
    first = DEFERRED // deferred, then failed: the error goes by callback
  } finally {
    cancel()
  }
  // An explicit ctx.defer() wins even when the handler settled in the same tick.
  if (first !== TIMED_OUT && first !== DEFERRED && !deferRequested) {
    call.stop()
    return jsonReply(200, checkedOutput(trigger, first, env))
  }
  completeLater(trigger, work, call.target, call.deadline, call.stop, env, failedLater)
  return ackReply(202)
}
