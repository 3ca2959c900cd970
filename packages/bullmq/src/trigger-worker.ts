import { errorSummary, queuedDeliveries, TriggerConfigError, type TriggerReceiver } from '@isc-triggers/core'
import { type ConnectionOptions, UnrecoverableError, Worker } from 'bullmq'
import { queueSettings } from './bullmq-queue.js'
import { type JobEnv, type JobOutcome, processJob } from './process-job.js'
import { within } from './redis-clients.js'
import { ReplyChannel } from './reply-channel.js'
import type { StoredJob } from './stored-job.js'

/**
 * Options of {@link startTriggerWorker}.
 *
 * @example
 * { concurrency: 16, lockDuration: 30_000, stalledInterval: 30_000 }
 */
export interface TriggerWorkerOptions {
  /** Jobs run at once by this worker; default 8. */
  concurrency?: number
  /**
   * How long a job stays locked to this worker without a renewal (BullMQ renews it while the
   * handler runs); default 30 000 ms. A worker that dies holds its jobs this long at most.
   */
  lockDuration?: number
  /** How often stalled jobs (their worker died) are looked for and handed out again; default 30 000 ms. */
  stalledInterval?: number
  /** How often one job may stall before it fails for good; default 3. */
  maxStalledCount?: number
  /** Another Redis connection for the worker; default the queue's. */
  connection?: ConnectionOptions
}

/** How long after its timeout close() waits for BullMQ before it forces the worker closed. */
const FORCE_CLOSE_AFTER_MS = 5_000

/**
 * A running worker.
 *
 * @example
 * const worker: TriggerWorker = startTriggerWorker(receiver)
 * worker.worker.on('completed', (job) => metrics.increment(job.name))
 */
export interface TriggerWorker {
  /** The BullMQ worker (events, metrics). */
  readonly worker: Worker
  /**
   * Stops taking jobs and waits for the running ones. At `timeoutMs` (default 10 000), running
   * handlers' `ctx.signal` aborts (a fire-and-forget job that then fails is retried), and a
   * callback still retrying is stopped: its job goes back to the queue, and another worker
   * sends the stored decision (the handler does not run again).
   *
   * @example
   * process.once('SIGTERM', async () => { await worker.close(); await receiver.close() })
   */
  close(options?: { timeoutMs?: number }): Promise<void>
}

/**
 * Runs the handlers of a receiver built with `queue: bullmqQueue(...)` for the deliveries the web
 * processes stored: fire-and-forget handlers (failures retried with backoff), ASYNC and DYNAMIC
 * decisions (decided once, stored in the job, then sent through the receiver's completion
 * client). Build the same receiver (same handlers, same queue options) in the worker process.
 *
 * @example
 * const worker = startTriggerWorker(receiver, { concurrency: 16 })
 * process.once('SIGTERM', async () => { await worker.close(); await receiver.close() })
 */
export function startTriggerWorker(
  receiver: TriggerReceiver,
  options: TriggerWorkerOptions = {},
): TriggerWorker {
  const runner = queuedDeliveries(receiver)
  const settings = queueSettings(runner.queue)
  if (!settings)
    throw new TriggerConfigError('startTriggerWorker needs a receiver created with queue: bullmqQueue(...)')
  const stopping = new AbortController()
  let closing = false
  const env: JobEnv = {
    runner,
    sealer: settings.sealer,
    // The worker's own connections: closing the receiver first must not take them away.
    replies: new ReplyChannel(settings.connection, settings.prefix, settings.name),
    closing: () => closing,
    stopping: stopping.signal,
  }

  const worker = new Worker<StoredJob, JobOutcome>(
    settings.name,
    (job, token, signal) => processJob(job, token, signal, env),
    {
      connection: options.connection ?? settings.connection,
      prefix: settings.prefix,
      concurrency: options.concurrency ?? 8,
      lockDuration: options.lockDuration ?? 30_000,
      stalledInterval: options.stalledInterval ?? 30_000,
      maxStalledCount: options.maxStalledCount ?? 3,
    },
  )
  worker.on('error', (error) =>
    runner.logger.error('The trigger worker had a Redis error', { error: errorSummary(error) }),
  )
  worker.on('failed', (job, error) => {
    if (!job) return
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError
    runner.logger[final ? 'error' : 'warn'](
      final
        ? `A ${job.name} job failed for good; it stays in the failed set`
        : `A ${job.name} job failed; it will be retried`,
      { trigger: job.name, jobId: job.id, attempt: job.attemptsMade, error: error.message },
    )
  })

  let closed: Promise<void> | undefined
  return {
    worker,
    close({ timeoutMs = 10_000 } = {}) {
      closed ??= (async () => {
        closing = true
        const timer = setTimeout(() => stopping.abort(), timeoutMs)
        try {
          // Past the timeout, handlers were told to stop; a job whose Redis write hangs (Redis
          // gone) must not hold close() forever: force it, and its job is recovered as stalled.
          await within(worker.close(), timeoutMs + FORCE_CLOSE_AFTER_MS, () =>
            within(worker.close(true), FORCE_CLOSE_AFTER_MS, () => worker.disconnect()),
          )
        } finally {
          clearTimeout(timer)
          await env.replies.close()
        }
      })()
      return closed
    },
  }
}
