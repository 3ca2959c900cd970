import { normaliseOrigins } from '../callbacks/callback-guard.js'
import {
  type CompletionClient,
  type CompletionOptions,
  createCompletionClient,
} from '../callbacks/completion-client.js'
import { type DedupeOptions, dedupeTimeout, dedupeTtl } from '../dedupe/dedupe.js'
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_INVOCATION_DEADLINE_MS,
  positiveNumber,
} from '../defaults.js'
import { TriggerConfigError } from '../errors.js'
import { type AuthOptions, type AuthVerifier, createAuthVerifier } from '../http/auth.js'
import type { ReadLimits } from '../http/body-stream.js'
import { DeadlineQueue } from '../http/deadline-queue.js'
import { type ReceiverHooks, type ResolvedHooks, resolveHooks } from '../observability/hooks.js'
import type { TriggerQueue } from '../queue/queue-port.js'
import type { FireAndForgetTrigger } from '../schemas/define-trigger.js'
import type { TriggerContext, TriggerLogger } from '../types.js'
import { resolveLogger } from './logger.js'
import type { TriggerRejection } from './rejection.js'

/**
 * Options of {@link createTriggerReceiver}.
 *
 * @example
 * { auth: { type: 'bearer', tokens: [process.env.ISC_TOKEN!] }, bodyLimit: 512 * 1024 }
 */
export interface TriggerReceiverOptions {
  /** How deliveries authenticate; required (`{ type: 'none' }` accepts everyone, said explicitly). */
  auth: AuthOptions
  /** Largest body accepted, in bytes; default 1 MiB. Enforced while reading. */
  bodyLimit?: number
  /** Longest wait for a streamed body, in milliseconds; default 10 000. */
  bodyTimeoutMs?: number
  /**
   * Where failures are reported: `console` (the default), pino, bunyan, winston or any object with
   * `error` and `warn`; `false` silences the receiver. Lines carry `trigger` and `invocationId` as
   * fields, never payload values or secrets. pino and bunyan are called fields first.
   *
   * @example
   * logger: pino({ level: 'warn' })
   */
  logger?: TriggerLogger | false
  /**
   * Hooks into every delivery: `onDelivery(event)` is told each one's outcome (401s and refusals
   * included), `wrapHandler(ctx, run)` runs around each handler call (here and in a queue's
   * workers). One object or an array, applied in order; a hook that throws is logged and changes
   * no reply or callback. See {@link ReceiverHooks}.
   *
   * @example
   * hooks: { onDelivery: ({ trigger, status, durationMs }) => histogram.record(durationMs, { trigger, status }) }
   */
  hooks?: ReceiverHooks | readonly ReceiverHooks[]
  /**
   * Receives deliveries of triggers the catalog does not know and no `defineTrigger()` describes
   * (ISC adds triggers before their ids are published). They are handled as fire-and-forget, with
   * the body unvalidated (any JSON object). Without it, such deliveries get a 404. A catalog
   * trigger you registered no handler for is still a 404.
   *
   * @example
   * onUnknownTrigger: async (input, ctx) => queue.push({ trigger: ctx.trigger.id, input })
   */
  onUnknownTrigger?: (input: Record<string, unknown>, ctx: TriggerContext<FireAndForgetTrigger>) => unknown
  /**
   * Receives each authenticated delivery that is refused (400, 404, 408, 413, 415) with its raw
   * body ({@link TriggerRejection}), before the error reply: ISC never redelivers, so this is how
   * you keep it. The reply waits for a returned promise, at most 5 s; a hook that throws or rejects
   * is logged (error name and message) and the reply stays the same. Also called for the 503 of a
   * delivery that arrived after `close()` or that the `queue` could not store. Never called for
   * 401, 405, 409 or the 5xx of a handler that ran. Without it, `logger.warn` reports each refusal (trigger, status, code, issue paths
   * and codes; never the body or its values).
   *
   * @example
   * onRejected: async ({ trigger, status, code, issues, body, receivedAt }) => {
   *   await deadLetters.insert({ trigger, status, code, issues, body: Buffer.from(body), receivedAt })
   * }
   */
  onRejected?: (rejection: TriggerRejection) => unknown
  /**
   * How ASYNC and DYNAMIC decisions reach ISC: OAuth client credentials for the callback, origins
   * trusted besides ISC's API hosts, the invocation deadline, retries and an outcome hook.
   */
  completion?: CompletionOptions
  /**
   * Runs each delivery's handler once, even when it arrives twice or on several instances: a key is
   * claimed in `store` before the handler runs and released if the handler fails. A duplicate
   * fire-and-forget or ASYNC delivery is acknowledged without running the handler; a duplicate SYNC
   * or DYNAMIC one gets 409. If the store fails, the delivery runs anyway (and is logged): ISC does
   * not redeliver, so losing an event is worse than running it twice.
   */
  dedupe?: DedupeOptions
  /**
   * Stores deliveries for workers instead of running their handlers here: ISC gets `200 {}` only
   * once a delivery is stored (503 when it cannot be, with the delivery handed to `onRejected`),
   * and a worker (`startTriggerWorker` of `@isc-triggers/bullmq`) runs the handler. Applies to
   * fire-and-forget, ASYNC and DYNAMIC handlers not registered with `{ queue: false }`; SYNC
   * handlers always run here. With a queue, a fire-and-forget delivery's `dedupe.key` becomes its
   * job's id (one job per key) and the dedupe store is not asked for queued deliveries.
   *
   * @example
   * queue: bullmqQueue({ connection: { host: '127.0.0.1', port: 6379 }, name: 'isc-triggers', sealKey: process.env.ISC_JOB_KEY! })
   */
  queue?: TriggerQueue
}

/** A receiver's options checked once, with every default applied. */
export interface ReceiverSettings {
  verify: AuthVerifier
  logger: TriggerLogger
  /** Largest body, and the deadline of a streamed one. */
  readLimits: ReadLimits
  onUnknownTrigger: TriggerReceiverOptions['onUnknownTrigger']
  onRejected: TriggerReceiverOptions['onRejected']
  /** The dedupe store and how long a claim lasts; undefined without `dedupe`. */
  dedupe: { options: DedupeOptions; ttlMs: number; timeoutMs: number } | undefined
  completion: CompletionClient
  allowedCallbackOrigins: ReadonlySet<string>
  /** How long after receipt an ASYNC/DYNAMIC invocation may be completed. */
  deadlineMs: number
  /** Where deliveries are stored for workers; undefined without `queue`. */
  queue: TriggerQueue | undefined
  hooks: ResolvedHooks
}

/** Node's longest timer: a longer (or non-finite) delay fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

function optionalFunction<T>(name: string, value: T | undefined, shape: string): T | undefined {
  if (value !== undefined && typeof value !== 'function')
    throw new TriggerConfigError(`${name} must be a function ${shape}`)
  return value
}

/**
 * Checks the options of `createTriggerReceiver()` and applies the defaults (in `defaults.ts`), so
 * a mistake fails at start-up with a {@link TriggerConfigError}, never during a delivery.
 *
 * @example
 * const settings = resolveReceiverOptions({ auth: { type: 'none' } }) // settings.readLimits.limit === 1_048_576
 */
export function resolveReceiverOptions(options: TriggerReceiverOptions): ReceiverSettings {
  if (!options || typeof options !== 'object')
    throw new TriggerConfigError('createTriggerReceiver needs options')
  const verify = createAuthVerifier(options.auth)
  const bodyLimit = positiveNumber('bodyLimit', options.bodyLimit, DEFAULT_BODY_LIMIT)
  const bodyTimeoutMs = positiveNumber('bodyTimeoutMs', options.bodyTimeoutMs, DEFAULT_BODY_TIMEOUT_MS)
  if (options.dedupe !== undefined && typeof options.dedupe?.store?.claim !== 'function')
    throw new TriggerConfigError(
      'dedupe.store must be a DedupeStore (createMemoryDedupeStore(), createRedisDedupeStore(client))',
    )
  const queue = options.queue
  if (
    queue !== undefined &&
    (typeof queue?.enqueue !== 'function' ||
      typeof queue.watchReply !== 'function' ||
      typeof queue.close !== 'function')
  )
    throw new TriggerConfigError('queue must be a TriggerQueue (bullmqQueue({ connection, name, sealKey }))')
  const enqueueMs = queue?.enqueueTimeoutMs
  if (
    enqueueMs !== undefined &&
    !(typeof enqueueMs === 'number' && enqueueMs > 0 && enqueueMs <= MAX_TIMER_MS)
  )
    throw new TriggerConfigError(
      `queue.enqueueTimeoutMs must be a number of ms between 1 and ${MAX_TIMER_MS}`,
    )
  const completion = options.completion ?? {}
  const client = createCompletionClient(completion)
  return {
    verify,
    logger: resolveLogger(options.logger),
    hooks: resolveHooks(options.hooks),
    readLimits: { limit: bodyLimit, deadlines: new DeadlineQueue(bodyTimeoutMs) },
    onUnknownTrigger: optionalFunction(
      'onUnknownTrigger',
      options.onUnknownTrigger,
      '(input, ctx) => unknown',
    ),
    onRejected: optionalFunction('onRejected', options.onRejected, '(rejection) => unknown'),
    dedupe: options.dedupe && {
      options: options.dedupe,
      ttlMs: dedupeTtl(options.dedupe),
      timeoutMs: dedupeTimeout(options.dedupe),
    },
    completion: client,
    allowedCallbackOrigins: normaliseOrigins(completion.allowedCallbackOrigins),
    deadlineMs: completion.deadlineMs ?? DEFAULT_INVOCATION_DEADLINE_MS,
    queue,
  }
}
