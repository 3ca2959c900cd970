import { checkCallbackUrl } from '../callbacks/callback-guard.js'
import type { CompletionClient, CompletionResult, CompletionTarget } from '../callbacks/completion-client.js'
import { TriggerConfigError, TriggerError } from '../errors.js'
import { ackReply, jsonReply, type TriggerReply } from '../http/reply.js'
import type { AnyTrigger, RequestResponseTrigger } from '../schemas/define-trigger.js'
import { compileCheck, type ValueCheck } from '../schemas/schema-check.js'
import type { TriggerContext, TriggerInvocation, TriggerLogger } from '../types.js'

/** ISC waits 10 s for a reply in every mode; this leaves room for the network. */
export const DEFAULT_REPLY_BUDGET_MS = 8_000
const ISC_REPLY_LIMIT_MS = 10_000

type AnyHandler = (input: unknown, ctx: TriggerContext) => unknown
type Mode = 'sync' | 'async' | 'dynamic'

/** A registered handler with its options already checked. */
export interface HandlerEntry {
  trigger: AnyTrigger
  handler: AnyHandler
  /** True when the input is valid as it is (compiled from `trigger.input`); false: ask zod. */
  inputIsValid: ValueCheck
  mode: Mode
  timeoutMs: number
  /** The validated fallback output of a SYNC handler, if any. */
  fallback: unknown
  hasFallback: boolean
}

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

const MODES: readonly string[] = ['sync', 'async', 'dynamic']
const never: ValueCheck = () => false

/**
 * Checks `receiver.on()` options at registration time, so a wrong mode, timeout or fallback fails
 * at start-up, not during a delivery.
 */
export function createHandlerEntry(
  trigger: AnyTrigger,
  handler: unknown,
  options: { mode?: string; timeoutMs?: number; fallback?: unknown } | undefined,
): HandlerEntry {
  const where = `on(${trigger.id})`
  if (typeof handler !== 'function') throw new TriggerConfigError(`${where}: the handler must be a function`)
  const entry: HandlerEntry = {
    trigger,
    handler: handler as AnyHandler,
    inputIsValid: compileCheck(trigger.input) ?? never,
    mode: 'sync',
    timeoutMs: DEFAULT_REPLY_BUDGET_MS,
    fallback: undefined,
    hasFallback: false,
  }
  if (!options) return entry
  if (trigger.type === 'fire-and-forget') {
    if (Object.keys(options).length > 0)
      throw new TriggerConfigError(`${where}: a fire-and-forget handler takes no options`)
    return entry
  }
  if (options.mode !== undefined && !MODES.includes(options.mode))
    throw new TriggerConfigError(`${where}: mode must be 'sync', 'async' or 'dynamic'`)
  entry.mode = (options.mode as Mode | undefined) ?? 'sync'
  if (options.timeoutMs !== undefined) {
    const ms = options.timeoutMs
    if (entry.mode === 'async')
      throw new TriggerConfigError(`${where}: an async handler answers at once; timeoutMs does not apply`)
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > ISC_REPLY_LIMIT_MS)
      throw new TriggerConfigError(
        `${where}: timeoutMs must be between 1 and ${ISC_REPLY_LIMIT_MS} (ISC waits 10 s for a reply)`,
      )
    entry.timeoutMs = ms
  }
  if ('fallback' in options && options.fallback !== undefined) {
    if (entry.mode !== 'sync')
      throw new TriggerConfigError(
        `${where}: fallback is for mode 'sync'; a late ${entry.mode} handler completes by callback`,
      )
    const parsed = trigger.output.safeParse(options.fallback)
    if (!parsed.success)
      throw new TriggerConfigError(`${where}: fallback does not match the trigger's output schema`)
    entry.fallback = parsed.data
    entry.hasFallback = true
  }
  return entry
}

function handlerFailed(trigger: AnyTrigger, cause: unknown, env: DispatchEnv): TriggerError {
  env.logger.error(`The handler of ${trigger.id} failed`, { trigger: trigger.id, error: cause })
  return new TriggerError('HANDLER_FAILED', `The handler of ${trigger.id} failed`, { cause })
}

/** Calls the handler; a synchronous throw becomes HANDLER_FAILED (logged). */
function callHandler(entry: HandlerEntry, input: unknown, ctx: TriggerContext, env: DispatchEnv): unknown {
  try {
    return entry.handler(input, ctx)
  } catch (error) {
    throw handlerFailed(entry.trigger, error, env)
  }
}

/** Calls the handler, turning a synchronous throw into a rejection. */
function invoke(entry: HandlerEntry, input: unknown, ctx: TriggerContext): Promise<unknown> {
  try {
    return Promise.resolve(entry.handler(input, ctx))
  } catch (error) {
    return Promise.reject(error)
  }
}

function checkedOutput(trigger: RequestResponseTrigger, output: unknown, env: DispatchEnv): unknown {
  const parsed = trigger.output.safeParse(output)
  if (parsed.success) return parsed.data
  // The issues go to the log, not to ISC: they describe the service's own code.
  env.logger.error(`The handler of ${trigger.id} returned an output that does not match its schema`, {
    trigger: trigger.id,
    issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), code: issue.code })),
  })
  throw new TriggerError('INVALID_OUTPUT', `The handler of ${trigger.id} returned an invalid output`)
}

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
 */
function completeLater(
  trigger: RequestResponseTrigger,
  work: Promise<unknown>,
  target: CompletionTarget,
  deadline: number,
  stop: () => void,
  env: DispatchEnv,
): void {
  const completion = (async () => {
    let result: CompletionResult
    try {
      result = { output: checkedOutput(trigger, await work, env) }
    } catch (error) {
      const invalid = error instanceof TriggerError && error.code === 'INVALID_OUTPUT'
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

const TIMED_OUT = Symbol('timed out')
const DEFERRED = Symbol('deferred')

/** A promise that resolves to TIMED_OUT after `ms`, and its cancel. */
function budget(ms: number): { expired: Promise<typeof TIMED_OUT>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms)
  })
  return { expired, cancel: () => clearTimeout(timer) }
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

/** Fire-and-forget: `200 {}` once the handler is done (at once when it returns without a promise). */
function runFireAndForget(
  entry: HandlerEntry,
  input: unknown,
  ctx: TriggerContext,
  env: DispatchEnv,
): TriggerReply | Promise<TriggerReply> {
  const returned = callHandler(entry, input, ctx, env)
  if (!isThenable(returned)) return ackReply()
  return Promise.resolve(returned).then(
    () => ackReply(),
    (error: unknown) => {
      throw handlerFailed(entry.trigger, error, env)
    },
  )
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
  if (!isThenable(returned)) return jsonReply(200, checkedOutput(trigger, returned, env))
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
  const { expired, cancel } = budget(entry.timeoutMs)
  let result: unknown
  try {
    result = await Promise.race([work, expired])
  } catch (error) {
    throw handlerFailed(trigger, error, env)
  } finally {
    cancel()
  }
  if (result !== TIMED_OUT) return jsonReply(200, checkedOutput(trigger, result, env))

  ctx
    .controller()
    .abort(new TriggerError('RESPONSE_TIMEOUT', `The reply budget of ${entry.timeoutMs} ms was spent`))
  // The handler may still settle; its outcome no longer reaches ISC, but must not go unheard.
  env.track(
    work.then(
      () => env.logger.warn(`The handler of ${trigger.id} finished after its ${entry.timeoutMs} ms budget`),
      (error) => env.logger.error(`The handler of ${trigger.id} failed after its budget`, { error }),
    ),
  )
  if (entry.hasFallback) {
    env.logger.warn(
      `The handler of ${trigger.id} ran past ${entry.timeoutMs} ms; the fallback output was sent`,
    )
    return jsonReply(200, entry.fallback)
  }
  throw new TriggerError(
    'RESPONSE_TIMEOUT',
    `The handler of ${trigger.id} did not answer within ${entry.timeoutMs} ms`,
  )
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
}

/**
 * A SYNC handler's context. Its abort signal's controller is made only if the handler reads
 * `ctx.signal` or the budget runs out: most handlers answer in time without looking. (A class, not
 * an object literal with a getter: V8 makes that literal about 30 times slower, on every delivery.)
 */
class SyncContext implements TriggerContext<RequestResponseTrigger> {
  #controller: AbortController | undefined

  constructor(
    readonly trigger: RequestResponseTrigger,
    readonly invocation: TriggerInvocation | undefined,
    readonly receivedAt: Date,
  ) {}

  get signal(): AbortSignal {
    return this.controller().signal
  }

  /** @internal The controller behind `signal`; the budget's expiry aborts it. */
  controller(): AbortController {
    this.#controller ??= new AbortController()
    return this.#controller
  }

  defer(): never {
    throw new Error("ctx.defer() needs mode: 'dynamic' (this handler is 'sync')")
  }
}

function noop(): void {}

/**
 * Runs a validated delivery through its handler and produces the reply of DESIGN.md's table: at
 * once when the handler returns without a promise, else a promise of it. A synchronous throw
 * means an error reply.
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
): TriggerReply | Promise<TriggerReply> {
  const trigger = entry.trigger
  if (trigger.type === 'fire-and-forget') {
    const ctx: TriggerContext = { trigger, invocation, signal: env.closing, receivedAt, defer: noop }
    return runFireAndForget(entry, input, ctx, env)
  }
  if (entry.mode === 'sync') {
    const ctx = new SyncContext(trigger, invocation, receivedAt)
    return runSync(entry, trigger, input, ctx, env)
  }

  const target = callbackTarget(invocation, env)
  const deadline = receivedAt.getTime() + env.deadlineMs
  const { controller, stop } = deadlineController(deadline)
  if (entry.mode === 'async') {
    const ctx: TriggerContext = { trigger, invocation, signal: controller.signal, receivedAt, defer: noop }
    completeLater(trigger, invoke(entry, input, ctx), target, deadline, stop, env)
    return ackReply()
  }
  return runDynamic(
    entry,
    trigger,
    input,
    { invocation, receivedAt, target, deadline, controller, stop },
    env,
  )
}

/** DYNAMIC: the decision now if it comes within the budget; else (or when deferred) 202 and the callback. */
async function runDynamic(
  entry: HandlerEntry,
  trigger: RequestResponseTrigger,
  input: unknown,
  call: {
    invocation: TriggerInvocation | undefined
    receivedAt: Date
    target: CompletionTarget
    deadline: number
    controller: AbortController
    stop: () => void
  },
  env: DispatchEnv,
): Promise<TriggerReply> {
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
    invocation: call.invocation,
    signal: call.controller.signal,
    receivedAt: call.receivedAt,
    defer: () => defer(),
  }
  const { expired, cancel } = budget(entry.timeoutMs)
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
  completeLater(trigger, work, call.target, call.deadline, call.stop, env)
  return ackReply(202)
}
