import { TriggerConfigError, TriggerError } from './errors.js'
import type { AnyTrigger, RequestResponseTrigger } from './registry.js'
import { ackReply, jsonReply, type TriggerReply } from './reply.js'
import type { TriggerContext, TriggerInvocation, TriggerLogger } from './types.js'

/** ISC waits 10 s for a SYNC reply; this leaves room for the network. */
export const DEFAULT_SYNC_TIMEOUT_MS = 8_000
const ISC_REPLY_LIMIT_MS = 10_000

type AnyHandler = (input: unknown, ctx: TriggerContext) => unknown

/** A registered handler with its options already checked. */
export interface HandlerEntry {
  trigger: AnyTrigger
  handler: AnyHandler
  timeoutMs: number
  /** The validated fallback output of a request-response handler, if any. */
  fallback: unknown
  hasFallback: boolean
}

/** What dispatch needs from the receiver around it. */
export interface DispatchEnv {
  logger: TriggerLogger
  /** Keeps work that outlives the reply (a handler past its budget) visible to `close()`. */
  track(work: Promise<unknown>): void
  /** Aborts when the receiver closes. */
  closing: AbortSignal
}

/**
 * Checks `receiver.on()` options at registration time, so a wrong timeout or an invalid fallback
 * fails at start-up, not during a delivery.
 */
export function createHandlerEntry(
  trigger: AnyTrigger,
  handler: unknown,
  options: { mode?: string; timeoutMs?: number; fallback?: unknown } | undefined,
): HandlerEntry {
  if (typeof handler !== 'function')
    throw new TriggerConfigError(`on(${trigger.id}): the handler must be a function`)
  const entry: HandlerEntry = {
    trigger,
    handler: handler as AnyHandler,
    timeoutMs: DEFAULT_SYNC_TIMEOUT_MS,
    fallback: undefined,
    hasFallback: false,
  }
  if (!options) return entry
  if (trigger.type === 'fire-and-forget') {
    if (Object.keys(options).length > 0)
      throw new TriggerConfigError(`on(${trigger.id}): a fire-and-forget handler takes no options`)
    return entry
  }
  if (options.mode !== undefined && options.mode !== 'sync')
    throw new TriggerConfigError(`on(${trigger.id}): mode must be 'sync'`)
  if (options.timeoutMs !== undefined) {
    const ms = options.timeoutMs
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > ISC_REPLY_LIMIT_MS)
      throw new TriggerConfigError(
        `on(${trigger.id}): timeoutMs must be between 1 and ${ISC_REPLY_LIMIT_MS} (ISC waits 10 s for a reply)`,
      )
    entry.timeoutMs = ms
  }
  if ('fallback' in options && options.fallback !== undefined) {
    const parsed = trigger.output.safeParse(options.fallback)
    if (!parsed.success)
      throw new TriggerConfigError(`on(${trigger.id}): fallback does not match the trigger's output schema`)
    entry.fallback = parsed.data
    entry.hasFallback = true
  }
  return entry
}

function handlerFailed(trigger: AnyTrigger, cause: unknown, env: DispatchEnv): TriggerError {
  env.logger.error(`The handler of ${trigger.id} failed`, { trigger: trigger.id, error: cause })
  return new TriggerError('HANDLER_FAILED', `The handler of ${trigger.id} failed`, { cause })
}

/** Calls the handler, turning a synchronous throw into a rejection. */
function invoke(entry: HandlerEntry, input: unknown, ctx: TriggerContext): Promise<unknown> {
  try {
    return Promise.resolve(entry.handler(input, ctx))
  } catch (error) {
    return Promise.reject(error)
  }
}

async function runFireAndForget(entry: HandlerEntry, input: unknown, ctx: TriggerContext, env: DispatchEnv) {
  try {
    await invoke(entry, input, ctx)
  } catch (error) {
    throw handlerFailed(entry.trigger, error, env)
  }
  return ackReply()
}

const TIMED_OUT = Symbol('timed out')

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

/** SYNC: the decision is the reply, within the budget; past it, the fallback or a 504. */
async function runSync(
  entry: HandlerEntry,
  trigger: RequestResponseTrigger,
  input: unknown,
  ctx: TriggerContext,
  controller: AbortController,
  env: DispatchEnv,
): Promise<TriggerReply> {
  let timer: NodeJS.Timeout | undefined
  const budget = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), entry.timeoutMs)
  })
  const work = invoke(entry, input, ctx)
  let result: unknown
  try {
    result = await Promise.race([work, budget])
  } catch (error) {
    throw handlerFailed(trigger, error, env)
  } finally {
    clearTimeout(timer)
  }
  if (result !== TIMED_OUT) return jsonReply(200, checkedOutput(trigger, result, env))

  controller.abort(
    new TriggerError('RESPONSE_TIMEOUT', `The reply budget of ${entry.timeoutMs} ms was spent`),
  )
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

/**
 * Runs a validated delivery through its handler and produces the reply of DESIGN.md's table.
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
): Promise<TriggerReply> {
  const trigger = entry.trigger
  if (trigger.type === 'fire-and-forget') {
    const ctx: TriggerContext = { trigger, invocation, signal: env.closing, receivedAt }
    return runFireAndForget(entry, input, ctx, env)
  }
  const controller = new AbortController()
  const ctx: TriggerContext = { trigger, invocation, signal: controller.signal, receivedAt }
  return runSync(entry, trigger, input, ctx, controller, env)
}
