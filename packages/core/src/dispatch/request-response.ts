import { checkCallbackUrl } from '../callbacks/callback-guard.js'
import {
  ATTEMPT_TIMEOUT,
  type CompletionReport,
  type CompletionResult,
  type CompletionTarget,
  START_COMPLETION,
  type StartingCompletionClient,
} from '../callbacks/completion-client.js'
import { CompletionRun, timerDelay } from '../callbacks/completion-run.js'
import { TriggerError } from '../errors.js'
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
  LazySignal,
  log,
  noop,
  remainingBudget,
  STOP,
  TIMED_OUT,
} from './handler-call.js'
import type { HandlerEntry } from './handler-entry.js'

/**
 * ASYNC and DYNAMIC need somewhere to send the decision: checked before the handler runs (or the
 * delivery is stored), INVALID_CALLBACK (400) otherwise.
 *
 * @example
 * const target = callbackTarget(trigger, invocation, env) // { callbackURL, secret, invocationId, triggerId }
 */
export function callbackTarget(
  trigger: RequestResponseTrigger,
  invocation: TriggerInvocation | undefined,
  env: DispatchEnv,
): CompletionTarget {
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
    // The trigger the delivery resolved to when `_metadata` does not name it (it was in the URL).
    triggerId: invocation.triggerId ?? trigger.id,
  }
}

/** What ISC is told when the handler failed: generic, the details stay in the service's log. */
export const FAILED = { error: 'The subscriber failed to decide' } as const
const INVALID = { error: 'The subscriber returned an invalid decision' } as const
const LATE = { error: 'The subscriber did not decide before the deadline' } as const

/** Tells dispatch-once the handler failed (its claim goes back); never throws past here. */
function tellFailed(failed: () => void): void {
  try {
    failed()
  } catch {}
}

/**
 * The handler's eventual decision as a callback body: its output checked against the schema (and
 * sendable as JSON), or an error. Never rejects, whatever the handler threw or returned and
 * whatever the logger does: every failure still becomes `{ error }` for ISC, except a handler
 * failure of a delivery its transport redelivers (`env.redelivers`): then nothing is sent
 * (undefined), and the redelivery decides.
 */
export async function decide(
  trigger: RequestResponseTrigger,
  work: Promise<unknown>,
  env: DispatchEnv,
  failed: () => void,
  invocation: TriggerInvocation | undefined,
): Promise<CompletionResult | undefined> {
  let output: unknown
  try {
    output = await work
  } catch (error) {
    tellFailed(failed)
    const failure = handlerFailed(trigger, error, env, invocation)
    if (tooLate(error)) return LATE
    if (env.redelivers === undefined) return FAILED
    env.redelivers(failure)
    return undefined
  }
  try {
    const checked = checkedOutput(trigger, output, env, invocation)
    JSON.stringify(checked) // a BigInt or a cycle would stop the callback later: refuse it now
    return { output: checked }
  } catch {
    tellFailed(failed)
    return INVALID
  }
}

/**
 * Sends a decision and logs an outcome other than `completed`. The run itself is what close()
 * stops (no AbortSignal per callback), and this is a promise chain rather than an async frame: it
 * waits for as long as the callback retries, so it holds as little as it can. A run close() stopped
 * (`abandoned`) sent nothing ISC accepted: for a delivery its transport redelivers, that is a
 * failure the redelivery can mend, so `failed` is told (dedupe gives the claim back) and so is
 * `env.redelivers`.
 */
function send(
  trigger: RequestResponseTrigger,
  target: CompletionTarget,
  result: CompletionResult,
  deadline: number,
  env: DispatchEnv,
  failed: () => void,
): Promise<void> {
  // The receiver's client is always made by createCompletionClient (receiver-options.ts).
  const started = (env.completion as StartingCompletionClient)[START_COMPLETION](target, result, deadline)
  if (!(started instanceof CompletionRun)) {
    notCompleted(trigger, started, env)
    return Promise.resolve()
  }
  env.running.add(started)
  return started.report.then((report) => {
    env.running.delete(started)
    if (report.outcome === 'completed') return
    notCompleted(trigger, report, env)
    if (report.outcome === 'abandoned' && env.redelivers !== undefined) {
      tellFailed(failed)
      env.redelivers(
        new TriggerError('SHUTTING_DOWN', `The receiver closed before the ${trigger.id} decision was sent`),
      )
    }
  })
}

function notCompleted(trigger: RequestResponseTrigger, report: CompletionReport, env: DispatchEnv): void {
  log(env, 'error', `The ${trigger.id} invocation was not completed (${report.outcome})`, {
    trigger: trigger.id,
    invocationId: report.invocationId,
    attempts: report.attempts,
    status: report.status,
    reason: report.reason,
  })
}

/**
 * Sends the handler's eventual decision (or an error) through the callback, in the background,
 * visible to `close()`. Holds only what the callback needs once the handler has settled (the
 * target, the deadline): not the payload or the context. `failed` is told when the handler threw
 * or returned an invalid decision (dedupe gives its claim back).
 */
function completeLater(
  trigger: RequestResponseTrigger,
  work: Promise<unknown>,
  target: CompletionTarget,
  deadline: number,
  env: DispatchEnv,
  failed: () => void,
): void {
  const invocation = { invocationId: target.invocationId }
  env.track(
    decide(trigger, work, env, failed, invocation).then((result) =>
      result === undefined ? undefined : send(trigger, target, result, deadline, env, failed),
    ),
  )
}

/** The handler had not decided by its limit (its ctx.signal aborted with this). */
class HandlerTooLate extends TriggerError {
  constructor() {
    super('RESPONSE_TIMEOUT', 'The handler did not decide before the invocation deadline')
  }
}

/** Never throws, even for a thrown Proxy whose getPrototypeOf trap throws (instanceof calls it). */
function tooLate(error: unknown): boolean {
  try {
    return error instanceof HandlerTooLate
  } catch {
    return false
  }
}

/**
 * When an ASYNC or DYNAMIC handler must have decided: the invocation deadline less one callback
 * attempt (`completion.attemptTimeoutMs`, at most half of `completion.deadlineMs`), so that the
 * `{ secret, error }` sent for a handler that never settles still gets a full attempt in time.
 *
 * @example
 * handlerLimit(receivedAt + 3_600_000, env) // 10 s before the deadline with the defaults
 */
export function handlerLimit(deadline: number, env: DispatchEnv): number {
  const attempt = (env.completion as StartingCompletionClient)[ATTEMPT_TIMEOUT] ?? 0
  return deadline - Math.min(attempt, env.deadlineMs / 2)
}

/**
 * An ASYNC or DYNAMIC handler's context. Its `signal` aborts at the handler's limit (see
 * handlerLimit) or at close()'s timeout, and is made only when read. The one limit timer runs only
 * while the handler does (cleared once it settles), so a pending callback keeps no timer of its
 * own for an hour, and a signal first read after the handler settled starts none.
 */
export class CallbackContext extends LazySignal implements TriggerContext<RequestResponseTrigger> {
  #timer: NodeJS.Timeout | undefined

  constructor(
    readonly trigger: RequestResponseTrigger,
    readonly invocation: TriggerInvocation | undefined,
    readonly receivedAt: Date,
    readonly defer: () => void,
  ) {
    super()
  }

  /**
   * `work`, or a HandlerTooLate rejection at `limit` (then ctx.signal aborts and `late` is told):
   * a handler that ignores its signal and never settles still ends in a callback.
   */
  bound(work: Promise<unknown>, limit: number, late: () => void): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const arm = () => {
        const left = limit - Date.now()
        if (left > 0) {
          this.#timer = setTimeout(arm, timerDelay(left)) // re-armed: a limit past 2^31-1 ms is not cut short
          this.#timer.unref()
          return
        }
        this.#timer = undefined
        const error = new HandlerTooLate()
        this[STOP](error)
        late()
        reject(error)
      }
      arm()
      const settled = (outcome: () => void) => {
        clearTimeout(this.#timer)
        this.#timer = undefined
        outcome()
      }
      work.then(
        (value) => settled(() => resolve(value)),
        (error: unknown) => settled(() => reject(error)),
      )
    })
  }
}

/**
 * Runs the handler, visible to close() until it settles or reaches its limit (then it is given up:
 * its signal aborted, its error callback sent, nothing of it left for close() to wait on).
 */
function start(
  entry: HandlerEntry,
  input: unknown,
  ctx: CallbackContext,
  deadline: number,
  env: DispatchEnv,
): Promise<unknown> {
  const work = invoke(entry, input, ctx, env)
  env.running.add(ctx)
  const done = () => env.running.delete(ctx)
  const bounded = ctx.bound(work, handlerLimit(deadline, env), done)
  bounded.then(done, done)
  return bounded
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
  const target = callbackTarget(trigger, invocation, env)
  const deadline = receivedAt.getTime() + env.deadlineMs
  const ctx = new CallbackContext(trigger, invocation, receivedAt, noop)
  completeLater(trigger, start(entry, input, ctx, deadline, env), target, deadline, env, failedLater)
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
  const target = callbackTarget(trigger, invocation, env)
  const deadline = receivedAt.getTime() + env.deadlineMs
  let resolveDeferred = noop
  let deferRequested = false
  const deferred = new Promise<typeof DEFERRED>((resolve) => {
    resolveDeferred = () => resolve(DEFERRED)
  })
  const defer = () => {
    deferRequested = true
    resolveDeferred()
  }
  const ctx = new CallbackContext(trigger, invocation, receivedAt, defer)
  const { expired, cancel } = budget(remainingBudget(entry.timeoutMs, receivedAt))
  const work = start(entry, input, ctx, deadline, env)
  let first: unknown
  try {
    first = await Promise.race([work, expired, deferred])
  } catch (error) {
    if (!deferRequested) throw handlerFailed(trigger, error, env, invocation)
    first = DEFERRED // deferred, then failed: the error goes by callback
  } finally {
    cancel()
  }
  // An explicit ctx.defer() wins even when the handler settled in the same tick.
  if (first !== TIMED_OUT && first !== DEFERRED && !deferRequested)
    return jsonReply(200, checkedOutput(trigger, first, env, invocation))
  completeLater(trigger, work, target, deadline, env, failedLater)
  return ackReply(202)
}
