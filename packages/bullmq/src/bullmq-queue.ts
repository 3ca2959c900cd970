import { randomUUID } from 'node:crypto'
import type { QueuedDelivery, ReplyWatch, TriggerQueue } from '@isc-triggers/core'
import { type ConnectionOptions, Queue } from 'bullmq'
import { jobIdFor } from './job-id.js'
import { type BullmqQueueOptions, type ResolvedQueueOptions, resolveQueueOptions } from './queue-options.js'
import { ReplyChannel, type ReplyMessage } from './reply-channel.js'
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

/** How much sooner than core's enqueue limit this queue gives up on an add. */
const GIVE_UP_EARLY_MS = 100

/** The receiver's hard limit for a reply: a claim still unanswered then is given up (202). */
const ISC_LAST_MOMENT_MS = 9_500

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
   * first, and the 503 goes out after it). An add that finishes after giving up (ioredis resends
   * commands once Redis is back) has its job removed: ISC was told 503 and `onRejected` has the
   * delivery, so a worker must not run it too. (A worker that took the job in between keeps it.)
   */
  enqueue(delivery: QueuedDelivery): Promise<void> {
    const data: StoredJob = toStoredJob(delivery, this[QUEUE_SETTINGS].sealer)
    // An existing job id is not added again: a duplicate delivery is stored once.
    const adding = this.#queue.add(delivery.trigger, data, { ...this.#jobOptions, jobId: jobIdFor(delivery) })
    return new Promise<void>((resolve, reject) => {
      let gaveUp = false
      const timer = setTimeout(
        () => {
          gaveUp = true
          reject(new Error(`The job was not stored within ${this.enqueueTimeoutMs} ms`))
        },
        Math.max(1, this.enqueueTimeoutMs - GIVE_UP_EARLY_MS),
      )
      adding.then(
        (job) => {
          clearTimeout(timer)
          if (!gaveUp) return resolve()
          job.remove().catch(() => {}) // active already, or gone: nothing more to do
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(error)
        },
      )
    })
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
