import { randomUUID } from 'node:crypto'
import type { QueuedDelivery, ReplyWatch, TriggerQueue } from '@isc-triggers/core'
import { type ConnectionOptions, Queue } from 'bullmq'
import { jobIdFor } from './job-id.js'
import { type BullmqQueueOptions, type ResolvedQueueOptions, resolveQueueOptions } from './queue-options.js'
import { within } from './redis-clients.js'
import { ReplyChannel } from './reply-channel.js'
import { watchDynamicReply } from './reply-watch.js'
import type { Sealer } from './seal.js'
import { type StoredJob, toStoredJob } from './stored-job.js'

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

/** Longest wait for the queue's connection to close politely. */
const CLOSE_TIMEOUT_MS = 5_000

/** How much sooner than core's enqueue limit this queue gives up on an add. */
const GIVE_UP_EARLY_MS = 100

class BullmqTriggerQueue implements TriggerQueue {
  readonly enqueueTimeoutMs: number
  readonly [QUEUE_SETTINGS]: QueueSettings
  readonly #queue: Queue
  readonly #jobOptions: ResolvedQueueOptions['jobOptions']
  #closed: Promise<void> | undefined

  constructor(options: BullmqQueueOptions) {
    const resolved = resolveQueueOptions(options)
    const { connection, name, prefix } = resolved
    this.enqueueTimeoutMs = resolved.enqueueTimeoutMs
    this.#queue = new Queue(name, { connection, prefix })
    this.#queue.on('error', () => {}) // a failed add rejects its own promise; ioredis reconnects
    this.#jobOptions = resolved.jobOptions
    this[QUEUE_SETTINGS] = {
      connection,
      name,
      prefix,
      sealer: resolved.sealer,
      replies: new ReplyChannel(connection, prefix, name),
    }
  }

  /** The BullMQ queue, for dashboards (bull-board) and maintenance. */
  get queue(): Queue {
    return this.#queue
  }

  /**
   * Adds the job, or gives up a little before core's `enqueueTimeoutMs` (so this gives up
   * first, and the 503 goes out after it). A job this add stored after giving up (ioredis resends
   * commands once Redis is back) is removed: ISC was told 503 and `onRejected` has the delivery,
   * so a worker must not run it too. The job's `nonce` tells ours from an earlier delivery's
   * (acknowledged, and kept). A duplicate of a fire-and-forget event whose job failed for good
   * retries that job, as a redelivery would run it again without a queue.
   */
  enqueue(delivery: QueuedDelivery): Promise<void> {
    const nonce = randomUUID()
    const data: StoredJob = { ...toStoredJob(delivery, this[QUEUE_SETTINGS].sealer), nonce }
    const id = jobIdFor(delivery)
    // An existing job id is not added again: a duplicate delivery is stored once.
    const adding = this.#queue.add(delivery.trigger, data, { ...this.#jobOptions, jobId: id })
    const ms = this.enqueueTimeoutMs
    return new Promise<void>((resolve, reject) => {
      let gaveUp = false
      const timer = setTimeout(
        () => {
          gaveUp = true
          reject(new Error(`The job was not stored within ${ms} ms`))
        },
        Math.max(1, ms - GIVE_UP_EARLY_MS, ms * 0.9),
      )
      adding.then(
        () => {
          clearTimeout(timer)
          if (gaveUp) return void this.#removeIfOurs(id, nonce)
          if (delivery.mode !== 'event' || delivery.key === undefined) return resolve()
          this.#retryIfFailed(id, nonce).then(resolve, reject)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(error)
        },
      )
    })
  }

  async #removeIfOurs(id: string, nonce: string): Promise<void> {
    try {
      const job = await this.#queue.getJob(id)
      if ((job?.data as StoredJob | undefined)?.nonce === nonce) await job?.remove()
    } catch {} // taken by a worker already, or gone: nothing more to do
  }

  /** A duplicate keyed event: when its job failed for good, it runs again. */
  async #retryIfFailed(id: string, nonce: string): Promise<void> {
    const job = await this.#queue.getJob(id)
    if (!job || (job.data as StoredJob).nonce === nonce) return
    if (!(await job.isFailed())) return
    try {
      await job.retry('failed')
    } catch (error) {
      // Two duplicates at once: the other one's retry came first, and the event runs again.
      if (await job.isFailed()) throw error
    }
  }

  watchReply(delivery: QueuedDelivery): ReplyWatch {
    return watchDynamicReply(this.#queue, this[QUEUE_SETTINGS].replies, delivery)
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      // A Redis that stopped answering must not hold the process: drop the connection instead.
      await Promise.all([
        within(this.#queue.close(), CLOSE_TIMEOUT_MS, () => this.#queue.disconnect()),
        this[QUEUE_SETTINGS].replies.close(),
      ])
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
