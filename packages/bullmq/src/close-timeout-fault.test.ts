import { createTriggerReceiver, type TriggerReceiver } from '@isc-triggers/core'
import { type FakeIsc, startFakeIsc } from '@isc-triggers/testing'
import { Queue } from 'bullmq'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { bullmqQueue } from './bullmq-queue.js'
import {
  allJobs,
  deliverIdentity,
  deliverInvocation,
  PRE_APPROVAL,
  TOKEN,
} from './queue-fixture.test-helper.js'
import { connection, describeWithRedis, TEST_SEAL_KEY, uniqueQueueName } from './redis.test-helper.js'
import type { StoredJob } from './stored-job.js'
import { startTriggerWorker, type TriggerWorker } from './trigger-worker.js'

const WORKER_OPTIONS = { concurrency: 2, lockDuration: 2_000, stalledInterval: 1_000 }
const QUEUE_OPTIONS = { attempts: 3, backoff: { delayMs: 50 } }
/** Short: what close() waits before it aborts handlers and callbacks. Only outcomes are asserted. */
const CLOSE_TIMEOUT_MS = 500
const decision = { approved: true, comment: 'stored once', approver: 'worker' }

/** Rejects once `signal` aborts: a handler that honours ctx.signal and has nothing else to do. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true })
  })
}

describeWithRedis(
  'worker.close({ timeoutMs }) stops what still runs at its timeout, and loses no job',
  () => {
    let isc: FakeIsc
    let name: string
    let jobs: Queue<StoredJob>
    const workers: TriggerWorker[] = []
    const receivers: TriggerReceiver[] = []
    const events: string[] = []
    /** While true, the fire-and-forget handler hangs until its ctx.signal aborts. */
    let hang = true
    /** While true, the ASYNC handler does too. */
    let hangDecision = false

    /** A receiver on the test queue; `completion` overrides the completion client's options. */
    function build(
      completion: { retry?: { baseDelayMs: number; maxDelayMs: number } } = {},
      attempts = QUEUE_OPTIONS.attempts,
    ): TriggerReceiver {
      const receiver = createTriggerReceiver({
        auth: { type: 'bearer', tokens: [TOKEN] },
        logger: false,
        completion: { allowedCallbackOrigins: [isc.origin], ...completion },
        queue: bullmqQueue({
          connection: connection(),
          name,
          sealKey: TEST_SEAL_KEY,
          ...QUEUE_OPTIONS,
          attempts,
        }),
      })
      receiver.on('idn:identity-created', async ({ identity }, ctx) => {
        events.push(`start:${identity.id}`)
        if (hang) await aborted(ctx.signal)
        events.push(`end:${identity.id}`)
      })
      receiver.on(
        PRE_APPROVAL,
        async (_input, ctx) => {
          events.push('decide')
          if (hangDecision) await aborted(ctx.signal)
          return decision
        },
        { mode: 'async' },
      )
      receivers.push(receiver)
      return receiver
    }

    function startWorker(receiver: TriggerReceiver): TriggerWorker {
      const worker = startTriggerWorker(receiver, WORKER_OPTIONS)
      workers.push(worker)
      return worker
    }

    beforeEach(async () => {
      isc = await startFakeIsc()
      name = uniqueQueueName()
      jobs = new Queue(name, { connection: connection() })
      events.length = 0
      hang = true
      hangDecision = false
    })

    afterEach(async () => {
      hang = false
      hangDecision = false
      await Promise.all(workers.splice(0).map((worker) => worker.close({ timeoutMs: 1_000 })))
      await jobs.obliterate({ force: true })
      await Promise.all([jobs.close(), ...receivers.splice(0).map((receiver) => receiver.close())])
      await isc.close()
    })

    it('a fire-and-forget handler that waits for ctx.signal: close() returns, the job stays, and another worker completes it', async () => {
      expect((await deliverIdentity(build(), 'hung')).status).toBe(200)
      const worker = startWorker(build())
      await expect.poll(() => events, { timeout: 30_000 }).toEqual(['start:hung'])

      // Without the abort at the timeout, this would wait for the handler forever.
      await worker.close({ timeoutMs: CLOSE_TIMEOUT_MS })
      const [job] = await allJobs(jobs)
      expect(job).toBeDefined()
      const state = await job!.getState()
      expect(['waiting', 'delayed', 'failed']).toContain(state)
      expect(job!.attemptsMade).toBeLessThan(QUEUE_OPTIONS.attempts) // attempts left: it will run again
      expect(events).toEqual(['start:hung'])

      hang = false
      startWorker(build())
      await expect.poll(async () => job!.getState(), { timeout: 30_000 }).toBe('completed')
      expect(events).toEqual(['start:hung', 'start:hung', 'end:hung'])
    }, 60_000)

    it('ASYNC: a callback stopped by close() puts its job back without spending an attempt; the next worker sends the stored decision', async () => {
      // The first callback gets a 503, and the next try waits at least a minute: close() stops it.
      isc.failNext(1, 503)
      const slowRetries = { retry: { baseDelayMs: 60_000, maxDelayMs: 120_000 } }
      expect((await deliverInvocation(build(), isc, 'inv-closed', 's3cr3t')).status).toBe(200)
      const worker = startWorker(build(slowRetries))
      await expect.poll(() => isc.attempts.length, { timeout: 30_000 }).toBe(1)

      await worker.close({ timeoutMs: CLOSE_TIMEOUT_MS })
      const [job] = await allJobs(jobs)
      expect(job).toBeDefined()
      expect(['waiting', 'delayed']).toContain(await job!.getState())
      expect(job!.attemptsMade).toBe(0) // put back, not failed: no attempt spent
      expect(job!.data.decision).toEqual({ output: decision })
      expect(job!.data.done).toBeUndefined()
      expect(isc.completions).toEqual([])

      startWorker(build())
      const completion = await isc.waitForCompletion('inv-closed', 30_000)
      expect(completion.body).toEqual({ secret: 's3cr3t', output: decision })
      await expect.poll(async () => job!.getState(), { timeout: 30_000 }).toBe('completed')
      expect(events).toEqual(['decide']) // the handler ran once in all
      expect(isc.completions.map((attempt) => attempt.invocationId)).toEqual(['inv-closed'])
      expect(isc.attempts.map((attempt) => attempt.status)).toEqual([503, 204])
    }, 60_000)

    // A decision reached after close()'s timeout aborted the handler is the shutdown's, not the
    // subscriber's: the job goes back undecided and the next worker runs the handler.
    it('ASYNC: a handler stopped by close() on its last attempt is run again by the next worker, whose decision ISC gets', async () => {
      hangDecision = true
      expect((await deliverInvocation(build({}, 1), isc, 'inv-hung', 's3cr3t')).status).toBe(200)
      const worker = startWorker(build({}, 1))
      await expect.poll(() => events, { timeout: 30_000 }).toEqual(['decide'])
      await worker.close({ timeoutMs: CLOSE_TIMEOUT_MS })
      const [job] = await allJobs(jobs)
      expect(['waiting', 'delayed']).toContain(await job!.getState())
      expect(isc.attempts).toEqual([]) // nothing sent by the closing worker

      hangDecision = false
      startWorker(build({}, 1))
      await expect.poll(async () => job!.getState(), { timeout: 30_000 }).toBe('completed')
      expect(isc.completions.map((attempt) => attempt.body)).toEqual([{ secret: 's3cr3t', output: decision }])
      expect(events).toEqual(['decide', 'decide'])
    }, 60_000)
  },
)
