import { DEFAULT_DEDUPE_TIMEOUT_MS, DEFAULT_DEDUPE_TTL_MS, positiveNumber } from '../defaults.js'
import { TriggerConfigError } from '../errors.js'
import type { AnyTrigger } from '../schemas/define-trigger.js'
import type { TriggerInvocation, TriggerLogger } from '../types.js'

/**
 * Where delivery keys are claimed, so one delivery runs its handler once even when it arrives twice
 * (a retrying proxy, a replay) or on several instances of the service at once.
 *
 * @example
 * const store: DedupeStore = createMemoryDedupeStore()          // one process
 * const shared: DedupeStore = createRedisDedupeStore(redisClient) // several processes
 */
export interface DedupeStore {
  /** Claims `key` for `ttlMs`; true for the first claimant only, until the key expires or is released. */
  claim(key: string, ttlMs: number): Promise<boolean> | boolean
  /** Gives a claim back (its handler failed), so a later delivery of the same key runs again. */
  release(key: string): Promise<void> | void
}

/**
 * Options of the receiver's `dedupe`. Request-response deliveries are always keyed by their
 * `invocationId` (`key` is asked only for one that has none); fire-and-forget ones only when `key`
 * returns a key (their bodies carry no id, so you choose what makes two deliveries the same event).
 *
 * Every store call is limited to `timeoutMs`. A store that fails or does not answer in time lets
 * the delivery run (logged): ISC never redelivers, so running twice is better than losing it. For
 * a SYNC or DYNAMIC handler the wait comes out of its reply budget.
 *
 * @example
 * dedupe: {
 *   store: createRedisDedupeStore(redis),
 *   key: (input, { trigger }) => trigger.id === 'idn:identity-created' ? (input as { identity: { id: string } }).identity.id : undefined,
 * }
 */
export interface DedupeOptions {
  store: DedupeStore
  /** How long a claim holds; default 24 h. */
  ttlMs?: number
  /** Longest wait for one store call (claim or release); default 1000 ms. */
  timeoutMs?: number
  key?: (
    input: unknown,
    context: { trigger: AnyTrigger; invocation: TriggerInvocation | undefined },
  ) => string | undefined
}

/**
 * Claims in this process's memory (lost on restart; not shared between processes).
 *
 * @example
 * createTriggerReceiver({ auth, dedupe: { store: createMemoryDedupeStore() } })
 */
export function createMemoryDedupeStore(): DedupeStore {
  const claims = new Map<string, number>()
  let sinceSweep = 0
  return {
    claim(key, ttlMs) {
      const now = Date.now()
      if (++sinceSweep >= 1_000) {
        sinceSweep = 0
        for (const [claimed, expiresAt] of claims) if (expiresAt <= now) claims.delete(claimed)
      }
      const expiresAt = claims.get(key)
      if (expiresAt !== undefined && expiresAt > now) return false
      claims.set(key, now + ttlMs)
      return true
    },
    release(key) {
      claims.delete(key)
    },
  }
}

/** The part of a Redis client the store uses: node-redis (`redis` v4+) has this shape. */
export interface RedisLikeClient {
  set(key: string, value: string, options: { NX: true; PX: number }): Promise<unknown>
  del(key: string): Promise<unknown>
}

/**
 * Claims in Redis (`SET key NX PX ttl`), shared by every process that uses the same Redis. Pass your
 * connected node-redis client.
 *
 * @example
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect()
 * createTriggerReceiver({ auth, dedupe: { store: createRedisDedupeStore(redis) } })
 */
export function createRedisDedupeStore(
  client: RedisLikeClient,
  { prefix = 'isc-triggers:dedupe:' } = {},
): DedupeStore {
  if (!client || typeof client.set !== 'function' || typeof client.del !== 'function')
    throw new TriggerConfigError('createRedisDedupeStore needs a connected Redis client (node-redis v4+)')
  return {
    async claim(key, ttlMs) {
      return (await client.set(prefix + key, '1', { NX: true, PX: Math.max(1, Math.round(ttlMs)) })) === 'OK'
    },
    async release(key) {
      await client.del(prefix + key)
    },
  }
}

/**
 * The key a delivery is claimed under, or undefined when it is not deduplicated. A `key` function
 * that throws is logged and the delivery runs without deduplication, as when the store fails:
 * the user's code must not cost ISC an event.
 */
export function dedupeKey(
  options: DedupeOptions,
  trigger: AnyTrigger,
  input: unknown,
  invocation: TriggerInvocation | undefined,
  logger: TriggerLogger,
): string | undefined {
  const byInvocation = trigger.type === 'request-response' ? invocation?.invocationId : undefined
  let key: string | undefined
  try {
    key = byInvocation || options.key?.(input, { trigger, invocation })
  } catch (error) {
    try {
      logger.error(`dedupe.key failed; ${trigger.id} runs without deduplication`, {
        trigger: trigger.id,
        error,
      })
    } catch {} // a throwing logger changes nothing
    return undefined
  }
  // Only a non-empty string is a key: a null or an object from untyped code would otherwise make
  // every such delivery "the same" ('...:null', '...:[object Object]') and drop all but the first.
  return typeof key !== 'string' || key === '' ? undefined : `${trigger.id}:${key}`
}

export function dedupeTtl(options: DedupeOptions): number {
  return positiveNumber('dedupe.ttlMs', options.ttlMs, DEFAULT_DEDUPE_TTL_MS)
}

export function dedupeTimeout(options: DedupeOptions): number {
  return positiveNumber('dedupe.timeoutMs', options.timeoutMs, DEFAULT_DEDUPE_TIMEOUT_MS)
}
