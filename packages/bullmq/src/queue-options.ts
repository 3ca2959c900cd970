import { TriggerConfigError } from '@isc-triggers/core'
import type { ConnectionOptions } from 'bullmq'
import { createSealer, type Sealer } from './seal.js'

/**
 * Options of {@link bullmqQueue}.
 *
 * @example
 * {
 *   connection: { host: '127.0.0.1', port: 6379 }, name: 'isc-triggers',
 *   sealKey: process.env.ISC_JOB_KEY!, attempts: 10,
 * }
 */
export interface BullmqQueueOptions {
  /** Where Redis is: BullMQ's connection options (`{ host, port }`, `{ url }`) or an ioredis client. */
  connection: ConnectionOptions
  /** The BullMQ queue's name; default `isc-triggers`. Web process and workers must agree. */
  name?: string
  /** BullMQ's key prefix; default `bull`. */
  prefix?: string
  /**
   * Seals each ASYNC/DYNAMIC invocation's secret in Redis with AES-256-GCM: 32 bytes, as a
   * Buffer, 64 hex characters or base64 (`openssl rand -base64 32`). Required: `false` (said
   * explicitly) stores secrets in clear. Every worker needs the same key.
   */
  sealKey: string | Uint8Array | false
  /** Runs of a failing handler before its job stays in the failed set; default 10. */
  attempts?: number
  /**
   * The wait before retry n: about `delayMs * 2^(n-1)`, less up to `jitter` (0..1) of it at
   * random; default 1000 ms and 0.5.
   */
  backoff?: { delayMs?: number; jitter?: number }
  /**
   * How long a completed job is kept (its id then still stops a duplicate delivery); default
   * 24 h, like the dedupe TTL. Failed jobs are kept until you remove them (the dead letters).
   */
  keepCompletedMs?: number
  /** Longest wait to store a delivery before ISC gets a 503; default 5000 ms (see TriggerQueue). */
  enqueueTimeoutMs?: number
}

/** The options of {@link bullmqQueue}, checked, with every default applied. */
export interface ResolvedQueueOptions {
  connection: ConnectionOptions
  name: string
  prefix: string
  sealer: Sealer
  enqueueTimeoutMs: number
  /** What every job is added with. */
  jobOptions: {
    attempts: number
    backoff: { type: 'exponential'; delay: number; jitter: number }
    removeOnComplete: { age: number }
    removeOnFail: false
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new TriggerConfigError(`bullmqQueue: ${name} must be a positive number`)
  return value
}

/**
 * BullMQ's own reconnect wait grows to 20 s once Redis has been down for a while, so a web
 * process could answer 503 for 20 s after Redis is back. Given connection options (not a
 * client), reconnect every 250 ms to 2 s instead, unless they say otherwise.
 */
function withPromptReconnect(connection: ConnectionOptions): ConnectionOptions {
  const given = connection as { duplicate?: unknown; retryStrategy?: unknown }
  if (typeof given.duplicate === 'function' || given.retryStrategy !== undefined) return connection
  return { ...connection, retryStrategy: (times: number) => Math.min(250 * times, 2_000) }
}

/**
 * Checks `bullmqQueue()`'s options, so a mistake fails at start-up with a TriggerConfigError.
 *
 * @example
 * resolveQueueOptions({ connection: { host: '127.0.0.1', port: 6379 }, sealKey: false }).name // 'isc-triggers'
 */
export function resolveQueueOptions(options: BullmqQueueOptions): ResolvedQueueOptions {
  if (!options || typeof options !== 'object' || !options.connection)
    throw new TriggerConfigError('bullmqQueue needs { connection, sealKey }')
  const name = options.name ?? 'isc-triggers'
  if (typeof name !== 'string' || name === '' || name.includes(':'))
    throw new TriggerConfigError('bullmqQueue: name must be a non-empty string without ":"')
  const prefix = options.prefix ?? 'bull'
  if (typeof prefix !== 'string' || prefix === '')
    throw new TriggerConfigError('bullmqQueue: prefix must be a non-empty string')
  const attempts = options.attempts === undefined ? 10 : options.attempts
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new TriggerConfigError('bullmqQueue: attempts must be a whole number, 1 or more')
  const delay = positive('backoff.delayMs', options.backoff?.delayMs, 1_000)
  const jitter = options.backoff?.jitter === undefined ? 0.5 : options.backoff.jitter
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1))
    throw new TriggerConfigError('bullmqQueue: backoff.jitter must be between 0 and 1')
  const keepMs = positive('keepCompletedMs', options.keepCompletedMs, 24 * 60 * 60 * 1000)
  const enqueueTimeoutMs = positive('enqueueTimeoutMs', options.enqueueTimeoutMs, 5_000)
  if (enqueueTimeoutMs > 2 ** 31 - 1)
    throw new TriggerConfigError('bullmqQueue: enqueueTimeoutMs must be at most 2^31-1')
  return {
    connection: withPromptReconnect(options.connection),
    name,
    prefix,
    sealer: createSealer(options.sealKey),
    enqueueTimeoutMs,
    jobOptions: {
      attempts,
      backoff: { type: 'exponential', delay, jitter },
      removeOnComplete: { age: Math.ceil(keepMs / 1000) },
      removeOnFail: false,
    },
  }
}
