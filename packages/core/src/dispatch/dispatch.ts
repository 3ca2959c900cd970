import { TriggerError } from '../errors.js'
import { ackReply, jsonReply, type TriggerReply } from '../http/reply.js'
import type { AnyTrigger, RequestResponseTrigger } from '../schemas/define-trigger.js'
import type { TriggerContext, TriggerInvocation } from '../types.js'
import {
  budget,
  callHandler,
  checkedOutput,
  type DispatchEnv,
  handlerFailed,
  ids,
  isThenable,
  LazySignal,
  log,
  remainingBudget,
  TIMED_OUT,
} from './handler-call.js'
import type { HandlerEntry } from './handler-entry.js'
import { runAsync, runDynamic } from './request-response.js'

export type { DispatchEnv } from './handler-call.js'

/** Fire-and-forget: `200 {}` once the handler is done (at once when it returns without a promise). */
function runFireAndForget(
  entry: HandlerEntry,
  input: unknown,
  ctx: EventContext,
  env: DispatchEnv,
): TriggerReply | Promise<TriggerReply> {
  const returned = callHandler(entry, input, ctx, env)
  if (!isThenable(returned)) return ackReply()
  // Still running: close() may have to abort its signal, until it settles.
  env.running.add(ctx)
  return Promise.resolve(returned).then(
    () => {
      env.running.delete(ctx)
      return ackReply()
    },
    (error: unknown) => {
      env.running.delete(ctx)
      throw handlerFailed(entry.trigger, error, env, ctx.invocation)
    },
  )
}

/**
 * A fire-and-forget handler's context: its own `signal`, made only if the handler reads it, aborted
 * if the handler still runs at the close timeout (in a queue worker: when the job's signal aborts).
 * (A class, as SyncContext below.)
 */
export class EventContext extends LazySignal implements TriggerContext {
  constructor(
    readonly trigger: AnyTrigger,
    readonly invocation: TriggerInvocation | undefined,
    readonly receivedAt: Date,
  ) {
    super()
  }

  defer(): void {}
}

/** SYNC: the decision is the reply, within the budget; past it, the fallback or a 504. */
function runSync(
  entry: HandlerEntry,
  trigger: RequestResponseTrigger,
  input: unknown,
  ctx: SyncContext,
  env: DispatchEnv,
): TriggerReply | Promise<TriggerReply> {
  const returned = callHandler(entry, input, ctx, env)
  // A handler that answers synchronously needs no timer.
  if (!isThenable(returned)) return jsonReply(200, checkedOutput(trigger, returned, env, ctx.invocation))
  return awaitSync(entry, trigger, Promise.resolve(returned), ctx, env)
}

/** A SYNC handler's promise, raced against its budget. */
async function awaitSync(
  entry: HandlerEntry,
  trigger: RequestResponseTrigger,
  work: Promise<unknown>,
  ctx: SyncContext,
  env: DispatchEnv,
): Promise<TriggerReply> {
  const { expired, cancel } = budget(remainingBudget(entry.timeoutMs, ctx.receivedAt))
  env.running.add(ctx)
  let result: unknown
  try {
    result = await Promise.race([work, expired])
  } catch (error) {
    env.running.delete(ctx)
    throw handlerFailed(trigger, error, env, ctx.invocation)
  } finally {
    cancel()
  }
  if (result !== TIMED_OUT) {
    env.running.delete(ctx)
    return jsonReply(200, checkedOutput(trigger, result, env, ctx.invocation))
  }

  ctx
    .controller()
    .abort(new TriggerError('RESPONSE_TIMEOUT', `The reply budget of ${entry.timeoutMs} ms was spent`))
  // The handler may still settle; its outcome no longer reaches ISC, but must not go unheard.
  env.track(
    work.then(
      () => {
        env.running.delete(ctx)
        log(
          env,
          'warn',
          `The handler of ${trigger.id} finished after its ${entry.timeoutMs} ms budget`,
          ids(trigger, ctx.invocation),
        )
      },
      (error: unknown) => {
        env.running.delete(ctx)
        log(env, 'error', `The handler of ${trigger.id} failed after its budget`, {
          ...ids(trigger, ctx.invocation),
          error,
        })
      },
    ),
    true, // late: nothing of it reaches ISC any more
  )
  if (entry.hasFallback) {
    log(
      env,
      'warn',
      `The handler of ${trigger.id} ran past ${entry.timeoutMs} ms; the fallback output was sent`,
      ids(trigger, ctx.invocation),
    )
    return jsonReply(200, entry.fallback)
  }
  throw new TriggerError(
    'RESPONSE_TIMEOUT',
    `The handler of ${trigger.id} did not answer within ${entry.timeoutMs} ms`,
  )
}

/**
 * A SYNC handler's context. Its abort signal's controller is made only if the handler reads
 * `ctx.signal`, the budget runs out or close() times out: most handlers answer in time without
 * looking. (A class, not an object literal with a getter: V8 makes that literal about 30 times
 * slower, on every delivery.)
 */
class SyncContext extends LazySignal implements TriggerContext<RequestResponseTrigger> {
  constructor(
    readonly trigger: RequestResponseTrigger,
    readonly invocation: TriggerInvocation | undefined,
    readonly receivedAt: Date,
  ) {
    super()
  }

  defer(): never {
    throw new Error("ctx.defer() needs mode: 'dynamic' (this handler is 'sync')")
  }
}

/**
 * Runs a validated delivery through its handler and produces the reply of DESIGN.md's table: at
 * once when the handler returns without a promise, else a promise of it. A synchronous throw
 * means an error reply. `failedLater` is told when an ASYNC or DYNAMIC handler fails after the
 * reply was sent (its failure then goes to ISC by callback, not in the reply).
 *
 * @example
 * const reply = await dispatch(entry, input, invocation, new Date(), env) // { status: 200, body: '{}' }
 */
export function dispatch(
  entry: HandlerEntry,
  input: unknown,
  invocation: TriggerInvocation | undefined,
  receivedAt: Date,
  env: DispatchEnv,
  failedLater?: () => void,
): TriggerReply | Promise<TriggerReply> {
  const trigger = entry.trigger
  if (trigger.type === 'fire-and-forget') {
    return runFireAndForget(entry, input, new EventContext(trigger, invocation, receivedAt), env)
  }
  if (entry.mode === 'sync') {
    const ctx = new SyncContext(trigger, invocation, receivedAt)
    return runSync(entry, trigger, input, ctx, env)
  }

  if (entry.mode === 'async') return runAsync(entry, trigger, input, invocation, receivedAt, env, failedLater)
  return runDynamic(entry, trigger, input, invocation, receivedAt, env, failedLater)
}
