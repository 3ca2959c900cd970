import {
  type CompletionResult,
  isTriggerError,
  type QueuedDelivery,
  queuedDeliveries,
  TriggerConfigError,
  type TriggerReceiver,
} from '@isc-triggers/core'
import { type ConnectionOptions, DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq'
import { queueSettings } from './bullmq-queue.js'
import { INLINE_GRACE_MS } from './reply-channel.js'
import { fromStoredJob, type StoredJob } from './stored-job.js'

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

/** A running worker. */
export interface TriggerWorker {
  /** The BullMQ worker (events, metrics). */
  readonly worker: Worker
  /**
   * Stops taking jobs and waits for the running ones. A callback still retrying after
   * `timeoutMs` (default 10 000) is stopped, and its job goes back to the queue for a later
   * attempt (its decision is kept: the handler does not run again).
   *
   * @example
   * process.once('SIGTERM', async () => { await worker.close(); await receiver.close() })
   */
  close(options?: { timeoutMs?: number }): Promise<void>
}

/** What the processor returns, shown in BullMQ's dashboards. */
type JobOutcome = 'handled' | 'completed' | 'already-completed' | 'answered-inline'

/** Errors that retrying cannot fix: the job goes straight to the failed set (with its data). */
function unrecoverable(error: unknown): boolean {
  return isTriggerError(error) && error.code === 'INVALID_PAYLOAD'
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
  const { sealer, replies } = settings
  const stopping = new AbortController()
  let closing = false

  async function decide(job: Job<StoredJob>, delivery: QueuedDelivery, signal: AbortSignal | undefined) {
    const attempts = job.opts.attempts ?? 1
    let deferred = false
    const decision = (await runner.run(delivery, {
      ...(signal ? { signal } : {}),
      lastAttempt: job.attemptsMade + 1 >= attempts,
      onDefer: () => {
        if (deferred || delivery.mode !== 'dynamic') return
        deferred = true
        replies.publish({ id: job.id as string, kind: 'deferred' }).catch(() => {})
      },
    })) as CompletionResult
    await job.updateData({ ...job.data, decision })
    return { decision, deferred }
  }

  /** DYNAMIC: true when this worker sends the callback (the web process did not answer with it). */
  async function callbackIsOurs(
    job: Job<StoredJob>,
    delivery: QueuedDelivery,
    decision: CompletionResult,
    deferred: boolean,
  ) {
    const id = job.id as string
    const ttl = (delivery.deadlineAt ?? Date.now()) - Date.now() + 3_600_000
    const replyBy = delivery.replyBy ?? 0
    if ('output' in decision && !deferred && Date.now() < replyBy) {
      await replies.publish({ id, kind: 'decision', output: decision.output })
      return replies.callbackIsOurs(id, replyBy + INLINE_GRACE_MS, ttl)
    }
    if (Date.now() < replyBy) await replies.publish({ id, kind: 'deferred' })
    return (await replies.claim(id, 'callback', ttl)) === 'callback'
  }

  async function process(job: Job<StoredJob>, token?: string, signal?: AbortSignal): Promise<JobOutcome> {
    // BullMQ may hand a closing worker one more job (a fetch already waiting on Redis when close()
    // began): put it back for another worker rather than start it.
    if (closing && token !== undefined) {
      await job.moveToDelayed(Date.now(), token)
      throw new DelayedError()
    }
    let delivery: QueuedDelivery
    try {
      delivery = fromStoredJob(job.data, sealer)
    } catch (error) {
      throw new UnrecoverableError((error as Error).message)
    }
    if (delivery.mode === 'event') {
      try {
        await runner.run(delivery, signal ? { signal } : {})
      } catch (error) {
        if (unrecoverable(error)) throw new UnrecoverableError((error as Error).message)
        throw error
      }
      return 'handled'
    }
    if (job.data.done) return job.data.done as JobOutcome
    let decision = job.data.decision
    let deferred = false
    if (!decision) {
      if (delivery.deadlineAt !== undefined && Date.now() >= delivery.deadlineAt)
        throw new UnrecoverableError('The invocation deadline passed before a worker took the job')
      try {
        ;({ decision, deferred } = await decide(job, delivery, signal))
      } catch (error) {
        if (unrecoverable(error)) throw new UnrecoverableError((error as Error).message)
        throw error
      }
    }
    if (delivery.mode === 'dynamic' && !(await callbackIsOurs(job, delivery, decision, deferred))) {
      await job.updateData({ ...job.data, done: 'answered-inline' })
      return 'answered-inline'
    }
    const report = await runner.complete(delivery, decision, { signal: stopping.signal })
    // ISC answers 400 to an invocation already completed (a retry after a crash that followed
    // a completed callback): the decision is there, so that is done too.
    const outcome: JobOutcome | undefined =
      report.outcome === 'completed'
        ? 'completed'
        : report.outcome === 'rejected' && report.status === 400
          ? 'already-completed'
          : undefined
    if (outcome) {
      await job.updateData({ ...job.data, done: outcome })
      return outcome
    }
    if (report.outcome === 'abandoned')
      throw new Error('The worker closed before the callback completed; the job will be retried')
    throw new UnrecoverableError(
      `The invocation was not completed (${report.outcome}): ${report.reason ?? ''}`,
    )
  }

  const worker = new Worker<StoredJob, JobOutcome>(settings.name, process, {
    connection: options.connection ?? settings.connection,
    prefix: settings.prefix,
    concurrency: options.concurrency ?? 8,
    lockDuration: options.lockDuration ?? 30_000,
    stalledInterval: options.stalledInterval ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 3,
  })
  worker.on('error', (error) => runner.logger.error('The trigger worker had a Redis error', { error }))
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
          await worker.close()
        } finally {
          clearTimeout(timer)
        }
      })()
      return closed
    },
  }
}
