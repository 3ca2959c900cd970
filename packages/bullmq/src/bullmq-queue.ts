import { randomUUID } from 'node:crypto'
import {
  type QueuedDelivery,
  type ReplyWatch,
  TriggerConfigError,
  type TriggerQueue,
} from '@isc-triggers/core'
import { type ConnectionOptions, Queue } from 'bullmq'
import { jobIdFor } from './job-id.js'
import { ReplyChannel, type ReplyMessage } from './reply-channel.js'
import { createSealer, type Sealer } from './seal.js'
import { type StoredJob, toStoredJob } from './stored-job.js'

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

/** @internal What a worker reads from the queue the receiver was given. */
export const QUEUE_SETTINGS = Symbol('isc-triggers.bullmq.settings')

/** @internal */
export interface QueueSettings {
  connection: ConnectionOptions
  name: string
  prefix: string
  sealer: Sealer
  replies: ReplyChannel
}

/** The receiver's hard limit for a reply: a claim still unanswered then is given up (202). */
const ISC_LAST_MOMENT_MS = 9_500

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new TriggerConfigError(`bullmqQueue: ${name} must be a positive number`)
  return value
}

class BullmqTriggerQueue implements TriggerQueue {
  readonly enqueueTimeoutMs: number
  readonly [QUEUE_SETTINGS]: QueueSettings
  readonly #queue: Queue
  readonly #jobOptions: object
  #closed: Promise<void> | undefined

  constructor(options: BullmqQueueOptions) {
    if (!options || typeof options !== 'object' || !options.connection)
      throw new TriggerConfigError('bullmqQueue needs { connection, sealKey }')
    const sealer = createSealer(options.sealKey)
    const name = options.name ?? 'isc-triggers'
    const prefix = options.prefix ?? 'bull'
    const attempts = Math.round(positive('attempts', options.attempts, 10))
    const delay = positive('backoff.delayMs', options.backoff?.delayMs, 1_000)
    const jitter = options.backoff?.jitter ?? 0.5
    if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1))
      throw new TriggerConfigError('bullmqQueue: backoff.jitter must be between 0 and 1')
    const keepMs = positive('keepCompletedMs', options.keepCompletedMs, 24 * 60 * 60 * 1000)
    this.enqueueTimeoutMs = positive('enqueueTimeoutMs', options.enqueueTimeoutMs, 5_000)
    this.#queue = new Queue(name, { connection: options.connection, prefix })
    this.#queue.on('error', () => {}) // a failed add rejects its own promise; ioredis reconnects
    this.#jobOptions = {
      attempts,
      backoff: { type: 'exponential', delay, jitter },
      removeOnComplete: { age: Math.ceil(keepMs / 1000) },
      removeOnFail: false,
    }
    this[QUEUE_SETTINGS] = {
      connection: options.connection,
      name,
      prefix,
      sealer,
      replies: new ReplyChannel(options.connection, prefix, name),
    }
  }

  /** The BullMQ queue, for dashboards (bull-board) and maintenance. */
  get queue(): Queue {
    return this.#queue
  }

  async enqueue(delivery: QueuedDelivery): Promise<void> {
    const data: StoredJob = toStoredJob(delivery, this[QUEUE_SETTINGS].sealer)
    // An existing job id is not added again: a duplicate delivery is stored once.
    await this.#queue.add(delivery.trigger, data, { ...this.#jobOptions, jobId: jobIdFor(delivery) })
  }

  watchReply(delivery: QueuedDelivery): ReplyWatch {
    const replies = this[QUEUE_SETTINGS].replies
    delivery.key ||= randomUUID() // keyed now, so that enqueue() adds the job under this same id
    const id = jobIdFor(delivery)
    const subscribed = replies.subscribed()
    let settle: (message: ReplyMessage | undefined) => void = () => {}
    const arrived = new Promise<ReplyMessage | undefined>((resolve) => {
      settle = resolve
    })
    const stop = replies.listen(id, (message) => settle(message))
    const queue = this.#queue
    return {
      cancel: stop,
      async wait(ms) {
        let timer: NodeJS.Timeout | undefined
        const late = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), ms)
        })
        try {
          // The job may have been decided before the subscription was in place: look once.
          const early = subscribed.then(async () => {
            const job = await queue.getJob(id)
            const decision = (job?.data as StoredJob | undefined)?.decision
            if (decision && 'output' in decision) settle({ id, kind: 'decision', output: decision.output })
          })
          early.catch(() => {})
          const message = await Promise.race([arrived, late])
          if (message?.kind !== 'decision') return undefined
          const ttl = (delivery.deadlineAt ?? Date.now()) - Date.now() + 3_600_000
          const lastMoment = new Promise<undefined>((resolve) => {
            clearTimeout(timer)
            timer = setTimeout(
              () => resolve(undefined),
              delivery.receivedAt + ISC_LAST_MOMENT_MS - Date.now(),
            )
          })
          const claim = replies.claim(id, 'inline', ttl).catch(() => undefined)
          return (await Promise.race([claim, lastMoment])) === 'inline'
            ? { output: message.output }
            : undefined
        } catch {
          return undefined
        } finally {
          clearTimeout(timer)
          stop()
        }
      },
    }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled([this.#queue.close(), this[QUEUE_SETTINGS].replies.close()])
    })()
    return this.#closed
  }
}

/**
 * The receiver's `queue` on BullMQ: a delivery is answered once its job is stored in Redis, and
 * {@link startTriggerWorker} runs it. Job ids come from the invocation id or the dedupe key, so
 * a duplicate delivery is stored once; invocation secrets are sealed (`sealKey`).
 *
 * @example
 * const receiver = createTriggerReceiver({
 *   auth,
 *   queue: bullmqQueue({ connection: { host: '127.0.0.1', port: 6379 }, name: 'isc-triggers', sealKey: process.env.ISC_JOB_KEY! }),
 * })
 */
export function bullmqQueue(options: BullmqQueueOptions): TriggerQueue & { readonly queue: Queue } {
  return new BullmqTriggerQueue(options)
}

/** @internal The settings of a queue made by bullmqQueue, or undefined. */
export function queueSettings(queue: TriggerQueue | undefined): QueueSettings | undefined {
  return (queue as Partial<BullmqTriggerQueue> | undefined)?.[QUEUE_SETTINGS]
}
