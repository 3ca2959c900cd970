import { DEFAULT_REPLY_BUDGET_MS, ISC_REPLY_LIMIT_MS } from '../defaults.js'
import { TriggerConfigError } from '../errors.js'
import { compiledSchema, type SchemaParse, schemaParse } from '../schemas/compiled-schema.js'
import type { AnyTrigger } from '../schemas/define-trigger.js'
import type { TriggerContext } from '../types.js'

type AnyHandler = (input: unknown, ctx: TriggerContext) => unknown
/** How a request-response handler answers (DESIGN.md's reply table). */
export type Mode = 'sync' | 'async' | 'dynamic'

/** A registered handler with its options already checked. */
export interface HandlerEntry {
  trigger: AnyTrigger
  handler: AnyHandler
  /**
   * Parses a delivery's payload with `trigger.input`, compiled at registration: what zod's
   * `safeParse` gives, or a thrown INVALID_PAYLOAD listing the issues.
   */
  parseInput: SchemaParse<unknown>
  mode: Mode
  timeoutMs: number
  /** The validated fallback output of a SYNC handler, if any. */
  fallback: unknown
  hasFallback: boolean
  /**
   * False when registered with `{ queue: false }`: with a receiver `queue`, this handler still
   * runs in the web process. (SYNC handlers always do.)
   */
  queued: boolean
}

const MODES: readonly string[] = ['sync', 'async', 'dynamic']

/**
 * Checks `receiver.on()` options at registration time, so a wrong mode, timeout or fallback fails
 * at start-up, not during a delivery.
 */
export function createHandlerEntry(
  trigger: AnyTrigger,
  handler: unknown,
  options: { mode?: string; timeoutMs?: number; fallback?: unknown; queue?: boolean } | undefined,
): HandlerEntry {
  const where = `on(${trigger.id})`
  if (typeof handler !== 'function') throw new TriggerConfigError(`${where}: the handler must be a function`)
  const entry: HandlerEntry = {
    trigger,
    handler: handler as AnyHandler,
    parseInput: schemaParse(trigger.input, 'INVALID_PAYLOAD', `payload of ${trigger.id}`),
    mode: 'sync',
    timeoutMs: DEFAULT_REPLY_BUDGET_MS,
    fallback: undefined,
    hasFallback: false,
    queued: true,
  }
  // Compiled now rather than on the first reply (checkedOutput uses the same compiled clone).
  if (trigger.type === 'request-response') compiledSchema(trigger.output)
  if (!options) return entry
  if (options.queue !== undefined) {
    if (typeof options.queue !== 'boolean')
      throw new TriggerConfigError(`${where}: queue must be true or false`)
    entry.queued = options.queue
  }
  if (trigger.type === 'fire-and-forget') {
    if (Object.keys(options).some((key) => key !== 'queue'))
      throw new TriggerConfigError(`${where}: a fire-and-forget handler takes only { queue }`)
    return entry
  }
  if (options.mode !== undefined && !MODES.includes(options.mode))
    throw new TriggerConfigError(`${where}: mode must be 'sync', 'async' or 'dynamic'`)
  entry.mode = (options.mode as Mode | undefined) ?? 'sync'
  if (entry.mode === 'sync' && options.queue === true)
    throw new TriggerConfigError(
      `${where}: a sync handler always runs in the web process (its reply cannot wait for a queue)`,
    )
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

/**
 * The entry as a delivery with no reply to carry a decision runs it (an EventBridge event): a
 * request-response handler of any mode decides by callback, as an ASYNC one does (a SYNC
 * handler's budget and fallback are for a reply, so they do not apply). A SYNC handler still runs
 * in this process, never in a queue's worker. Other entries are returned as they are.
 *
 * @example
 * byCallback(syncEntry).mode // 'async'
 */
export function byCallback(entry: HandlerEntry): HandlerEntry {
  if (entry.trigger.type === 'fire-and-forget' || entry.mode === 'async') return entry
  return {
    ...entry,
    mode: 'async',
    fallback: undefined,
    hasFallback: false,
    queued: entry.mode === 'dynamic' && entry.queued,
  }
}
