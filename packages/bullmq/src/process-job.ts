import {
  type CompletionResult,
  isTriggerError,
  type QueuedDelivery,
  type QueuedDeliveryRunner,
} from '@isc-triggers/core'
import { DelayedError, type Job, UnrecoverableError } from 'bullmq'
import { claimTtl, INLINE_GRACE_MS, type ReplyChannel } from './reply-channel.js'
import type { Sealer } from './seal.js'
import { fromStoredJob, type StoredJob } from './stored-job.js'

/** What a job's run returns, shown in BullMQ's dashboards. */
export type JobOutcome = 'handled' | 'completed' | 'already-completed' | 'answered-inline'

/** What the processor needs from the worker around it. */
export interface JobEnv {
  runner: QueuedDeliveryRunner
  sealer: Sealer
  replies: ReplyChannel
  /** True once `worker.close()` began: a job handed over now is put back. */
  closing(): boolean
  /** Aborts at the close timeout: handlers' ctx.signal and callbacks still retrying. */
  stopping: AbortSignal
}

/** Puts a job back in the queue without spending an attempt (another worker takes it). */
async function putBack(job: Job<StoredJob>, token: string | undefined, delayMs = 0): Promise<never> {
  if (token !== undefined) await job.moveToDelayed(Date.now() + delayMs, token)
  throw new DelayedError()
}

/**
 * A run that failed: put back without spending an attempt when close()'s timeout stopped it
 * (the failure is the shutdown's); else retried by BullMQ, or failed at once when retrying
 * cannot fix it.
 */
function runFailed(job: Job<StoredJob>, token: string | undefined, env: JobEnv) {
  return (error: unknown): Promise<never> => {
    if (env.stopping.aborted) return putBack(job, token)
    if (isTriggerError(error) && error.code === 'UNKNOWN_TRIGGER') {
      // Deploy skew: this worker's receiver has no handler for the job's trigger (yet). Put it
      // back for a while without spending an attempt: a worker that has it will run it.
      env.runner.logger.warn(`This worker has no handler for ${job.name}; the job waits for one that has`, {
        trigger: job.name,
      })
      return putBack(job, token, SKEW_RETRY_MS)
    }
    return unrecoverable(error)
  }
}

/** How long a job whose trigger this worker does not handle waits before it is taken again. */
const SKEW_RETRY_MS = 5_000

/** Errors that retrying cannot fix: the job goes straight to the failed set (with its data). */
function unrecoverable(error: unknown): never {
  if (isTriggerError(error) && error.code === 'INVALID_PAYLOAD') throw new UnrecoverableError(error.message)
  throw error
}

/**
 * Runs the handler, then stores the decision in the job before anything is sent (two phases).
 * A handler cut short by close()'s timeout decides nothing: its `{ error }` would be the
 * shutdown's, not the subscriber's, so the job goes back undecided for another worker.
 */
async function decide(
  job: Job<StoredJob>,
  token: string | undefined,
  delivery: QueuedDelivery,
  signal: AbortSignal,
  env: JobEnv,
) {
  let deferred = false
  const decision = (await env.runner
    .run(delivery, {
      signal,
      lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
      onDefer: () => {
        if (deferred || delivery.mode !== 'dynamic') return
        deferred = true
        env.replies.publish({ id: job.id as string, kind: 'deferred' }).catch(() => {})
      },
    })
    .catch(runFailed(job, token, env))) as CompletionResult
  if (env.stopping.aborted) return putBack(job, token)
  await job.updateData({ ...job.data, decision, ...(deferred ? { deferred } : {}) })
  return decision
}

/** DYNAMIC: true when this worker sends the callback (the web process did not answer with it). */
async function callbackIsOurs(job: Job<StoredJob>, delivery: QueuedDelivery, env: JobEnv): Promise<boolean> {
  const id = job.id as string
  const { decision, deferred } = job.data
  const replyBy = delivery.replyBy ?? 0
  if (decision && 'output' in decision && !deferred && Date.now() < replyBy) {
    await env.replies.publish({ id, kind: 'decision', output: decision.output })
    return env.replies.callbackIsOurs(id, replyBy + INLINE_GRACE_MS, claimTtl(delivery))
  }
  if (Date.now() < replyBy) await env.replies.publish({ id, kind: 'deferred' })
  return (await env.replies.claim(id, 'callback', claimTtl(delivery))) === 'callback'
}

/**
 * One job: a fire-and-forget handler run (failures retried by BullMQ), or a request-response
 * invocation decided once and completed once (a retry after a crash re-sends the stored decision).
 */
export async function processJob(
  job: Job<StoredJob>,
  token: string | undefined,
  jobSignal: AbortSignal | undefined,
  env: JobEnv,
): Promise<JobOutcome> {
  // BullMQ may hand a closing worker one more job (a fetch already waiting on Redis when close()
  // began): put it back for another worker rather than start it.
  if (env.closing()) return putBack(job, token)
  // A wrong sealKey throws here: retried (another worker may have the right key), and logged.
  const delivery = fromStoredJob(job.data, env.sealer)
  const { signal, release } = jobSignalFor(jobSignal, env.stopping)
  try {
    return await run(job, token, delivery, signal, env)
  } finally {
    release()
  }
}

/**
 * One signal for a job's handler: aborted by BullMQ's job signal or by close()'s timeout. Its
 * listeners go when the job ends (`AbortSignal.any` over the worker-long `stopping` signal would
 * keep every job's context alive on Node 20).
 */
function jobSignalFor(
  jobSignal: AbortSignal | undefined,
  stopping: AbortSignal,
): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController()
  const sources = jobSignal ? [jobSignal, stopping] : [stopping]
  const abort = () => controller.abort(new Error('The job was stopped'))
  for (const source of sources)
    if (source.aborted) abort()
    else source.addEventListener('abort', abort, { once: true })
  return {
    signal: controller.signal,
    release: () => {
      for (const source of sources) source.removeEventListener('abort', abort)
    },
  }
}

async function run(
  job: Job<StoredJob>,
  token: string | undefined,
  delivery: QueuedDelivery,
  signal: AbortSignal,
  env: JobEnv,
): Promise<JobOutcome> {
  if (delivery.mode === 'event') {
    await env.runner.run(delivery, { signal }).catch(runFailed(job, token, env))
    return 'handled'
  }
  if (job.data.done) return job.data.done as JobOutcome
  if (!job.data.decision) {
    if (delivery.deadlineAt !== undefined && Date.now() >= delivery.deadlineAt)
      throw new UnrecoverableError('The invocation deadline passed before a worker took the job')
    await decide(job, token, delivery, signal, env)
  }
  const decision = job.data.decision as CompletionResult
  if (delivery.mode === 'dynamic' && !(await callbackIsOurs(job, delivery, env))) {
    await job.updateData({ ...job.data, done: 'answered-inline' })
    return 'answered-inline'
  }
  const report = await env.runner.complete(delivery, decision, { signal: env.stopping })
  if (report.outcome === 'completed' || (report.outcome === 'rejected' && report.status === 400)) {
    const outcome = report.outcome === 'completed' ? 'completed' : 'already-completed'
    // ISC answers 400 to an invocation already complete (a retry after a crash that followed a
    // completed callback): done. It is also what ISC says to a decision it refuses: say so.
    if (outcome === 'already-completed')
      env.runner.logger.warn('ISC answered 400 to a completion: already completed, or refused', {
        trigger: delivery.trigger,
        invocationId: delivery.invocation?.invocationId,
      })
    await job.updateData({ ...job.data, done: outcome })
    return outcome
  }
  // Stopped by close(): back to the queue, the stored decision to be sent by another worker.
  if (report.outcome === 'abandoned') return putBack(job, token)
  throw new UnrecoverableError(`The invocation was not completed (${report.outcome}): ${report.reason ?? ''}`)
}
