import { createTriggerReceiver, type TriggerReceiver } from '@isc-triggers/core'
import { type FakeIsc, startFakeIsc } from '@isc-triggers/testing'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { bullmqQueue } from './bullmq-queue.js'
import {
  deliverIdentity,
  deliverInvocation,
  newGate,
  PRE_APPROVAL,
  TOKEN,
} from './queue-fixture.test-helper.js'
import type { BullmqQueueOptions } from './queue-options.js'
import {
  connection,
  describeWithRedis,
  redisUrl,
  TEST_SEAL_KEY,
  uniqueQueueName,
} from './redis.test-helper.js'
import type { StoredJob } from './stored-job.js'
import { startTriggerWorker, type TriggerWorker } from './trigger-worker.js'

/** Short locks, so that a job wrongly left active would be seen as stalled within the test. */
const WORKER_OPTIONS = { concurrency: 4, lockDuration: 2_000, stalledInterval: 1_000 }

describeWithRedis('the trigger worker: close() and retries', () => {
  let isc: FakeIsc
  let name: string
  let jobs: Queue<StoredJob>
  let redis: Redis
  let gate = newGate()
  const workers: TriggerWorker[] = []
  const receivers: TriggerReceiver[] = []
  const events: string[] = []
  /** Identity ids whose handler throws (every time, or until their run number is reached). */
  const failing = new Map<string, number>()

  function build(queueOptions: Partial<BullmqQueueOptions> = {}): TriggerReceiver {
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TOKEN] },
      logger: false,
      completion: { allowedCallbackOrigins: [isc.origin] },
      queue: bullmqQueue({ connection: connection(), name, sealKey: TEST_SEAL_KEY, ...queueOptions }),
    })
    receiver.on('idn:identity-created', async ({ identity }) => {
      const run = events.filter((event) => event === `start:${identity.id}`).length + 1
      events.push(`start:${identity.id}`)
      if (identity.id === 'gated') await gate.promise
      if (run < (failing.get(identity.id) ?? 0)) throw new Error(`run ${run} of ${identity.id} fails`)
      events.push(`end:${identity.id}`)
    })
    receiver.on(
      PRE_APPROVAL,
      async () => {
        events.push('start:decision')
        throw new Error('the approval service is down')
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

  const jobOf = async (id: string) =>
    (await jobs.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).find(
      (job) => (job.data.input as { identity?: { id: string } }).identity?.id === id,
    )

  beforeEach(async () => {
    isc = await startFakeIsc()
    name = uniqueQueueName()
    jobs = new Queue(name, { connection: connection() })
    redis = new Redis(redisUrl as string)
    gate = newGate()
    events.length = 0
    failing.clear()
  })

  afterEach(async () => {
    gate.open()
    await Promise.all(workers.splice(0).map((worker) => worker.close()))
    await jobs.obliterate({ force: true })
    redis.disconnect()
    await Promise.all([jobs.close(), ...receivers.splice(0).map((receiver) => receiver.close())])
    await isc.close()
  })

  it('close() waits for the running handler (its job completes, not stalled) and takes no job after', async () => {
    const web = build()
    expect((await deliverIdentity(web, 'gated')).status).toBe(200)
    const worker = startWorker(build())
    await expect.poll(() => events, { timeout: 30_000 }).toEqual(['start:gated'])
    const gated = await jobOf('gated')
    const lockLeft = () => redis.pttl(`bull:${name}:${gated?.id}:lock`)

    const closing = worker.close().then(() => events.push('closed'))
    // While close() waits, the worker still renews the job's lock (it is not left to stall):
    // seen as the lock's time to live going up again.
    let lowest = await lockLeft()
    await expect
      .poll(
        async () => {
          const left = await lockLeft()
          const renewed = lowest > 0 && left > lowest
          lowest = Math.min(lowest, left)
          return renewed
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe(true)
    expect(events).toEqual(['start:gated'])
    gate.open()
    await closing
    expect(events).toEqual(['start:gated', 'end:gated', 'closed'])
    const done = await jobOf('gated')
    expect(await done?.getState()).toBe('completed')
    expect([done?.attemptsMade, done?.stalledCounter ?? 0]).toEqual([1, 0])

    // Closed: a delivery stored now stays waiting, intact, and the next worker runs it. Not
    // tested: one stored while close() waits. BullMQ 6.7.0 can still take it then: close()
    // disconnects the blocking connection, but a BZPOPMIN already in flight (concurrency > 1)
    // may return the new job's marker first, and Worker._getNextJob() calls moveToActive()
    // without looking at `closing` again; the closing worker then runs that job too (and
    // close() waits for it). A race of a few ms, so no test can pin it.
    expect((await deliverIdentity(web, 'after-close')).status).toBe(200)
    expect(await (await jobOf('after-close'))?.getState()).toBe('waiting')
    startWorker(build())
    await expect
      .poll(async () => (await jobOf('after-close'))?.getState(), { timeout: 30_000 })
      .toBe('completed')
    expect(events).toEqual(['start:gated', 'end:gated', 'closed', 'start:after-close', 'end:after-close'])
  })

  it('retries a failing handler with backoff, and keeps the job with its payload in the failed set after the last attempt', async () => {
    const options = { attempts: 3, backoff: { delayMs: 50 } }
    const web = build(options)
    failing.set('doomed', Number.POSITIVE_INFINITY)
    failing.set('recovers', 3) // runs 1 and 2 fail, run 3 succeeds
    expect((await deliverIdentity(web, 'doomed')).status).toBe(200)
    expect((await deliverIdentity(web, 'recovers')).status).toBe(200)
    startWorker(build(options))

    await expect
      .poll(async () => (await jobOf('recovers'))?.getState(), { timeout: 30_000 })
      .toBe('completed')
    await expect.poll(() => jobs.getFailedCount(), { timeout: 30_000 }).toBe(1)
    const [failed] = await jobs.getFailed()
    expect(failed?.data.input).toMatchObject({ identity: { id: 'doomed' } })
    expect(failed?.attemptsMade).toBe(3)
    expect(failed?.failedReason).toBeTruthy()
    expect(failed?.opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 50 } })
    const runsOf = (id: string) => events.filter((event) => event === `start:${id}`).length
    expect([runsOf('doomed'), runsOf('recovers')]).toEqual([3, 3])
    expect(events.filter((event) => event.startsWith('end:'))).toEqual(['end:recovers'])
  })

  it('ASYNC: a handler that keeps failing is retried, and its last attempt sends { error } once', async () => {
    const options = { attempts: 3, backoff: { delayMs: 50 } }
    expect((await deliverInvocation(build(options), isc, 'inv-failing', 's3cr3t')).status).toBe(200)
    startWorker(build(options))
    const completion = await isc.waitForCompletion('inv-failing', 30_000)
    expect(completion.body).toMatchObject({ secret: 's3cr3t', error: expect.any(String) })
    await expect.poll(() => jobs.getCompletedCount(), { timeout: 30_000 }).toBe(1)
    expect(events).toEqual(['start:decision', 'start:decision', 'start:decision'])
    expect(isc.attempts).toHaveLength(1)
  })
})
