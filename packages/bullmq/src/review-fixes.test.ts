import { createMemoryDedupeStore, createTriggerReceiver, type TriggerReceiver } from '@isc-triggers/core'
import { Queue } from 'bullmq'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { bullmqQueue } from './bullmq-queue.js'
import { allJobs, deliverIdentity, newGate, TOKEN } from './queue-fixture.test-helper.js'
import { connection, describeWithRedis, TEST_SEAL_KEY, uniqueQueueName } from './redis.test-helper.js'
import type { StoredJob } from './stored-job.js'
import { startTriggerWorker, type TriggerWorker } from './trigger-worker.js'

const WORKER_OPTIONS = { concurrency: 2, lockDuration: 2_000, stalledInterval: 1_000 }
/** A value of a delivery that no log line may show. */
const PAYLOAD_VALUE = 'alice.secret@example.com'

describeWithRedis('a failed keyed event runs again; worker errors are logged without payloads', () => {
  let name: string
  let jobs: Queue<StoredJob>
  const workers: TriggerWorker[] = []
  const receivers: TriggerReceiver[] = []
  const runs: string[] = []
  const logged: unknown[] = []

  /** A receiver whose deliveries all share the dedupe key `K`, and whose first run fails. */
  function build(
    queue = bullmqQueue({ connection: connection(), name, sealKey: TEST_SEAL_KEY, attempts: 1 }),
  ) {
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TOKEN] },
      logger: {
        error: (message, details) => void logged.push({ level: 'error', message, details }),
        warn: (message, details) => void logged.push({ level: 'warn', message, details }),
      },
      dedupe: { store: createMemoryDedupeStore(), key: () => 'K' },
      // One attempt (see build's default): a job whose handler throws is failed for good at once.
      queue,
    })
    receiver.on('idn:identity-created', async (input) => {
      runs.push(input.identity.id)
      if (runs.length === 1) throw new Error('the directory is down')
    })
    receivers.push(receiver)
    return receiver
  }

  function startWorker(): TriggerWorker {
    const worker = startTriggerWorker(build(), WORKER_OPTIONS)
    workers.push(worker)
    return worker
  }

  beforeEach(() => {
    name = uniqueQueueName()
    jobs = new Queue(name, { connection: connection() })
    runs.length = 0
    logged.length = 0
  })

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.close({ timeoutMs: 1_000 })))
    await jobs.obliterate({ force: true })
    await Promise.all([jobs.close(), ...receivers.splice(0).map((receiver) => receiver.close())])
  })

  it('a keyed fire-and-forget event whose job failed for good is retried by its next delivery, and completes', async () => {
    const web = build()
    expect((await deliverIdentity(web, 'first')).status).toBe(200)
    startWorker()
    await expect.poll(() => jobs.getFailedCount(), { timeout: 30_000 }).toBe(1)
    const [failed] = await jobs.getFailed()
    expect(failed?.attemptsMade).toBe(1)
    expect(runs).toEqual(['first'])

    // The same event again (same key, same job id): acknowledged once the failed job is retried.
    expect((await deliverIdentity(web, 'again')).status).toBe(200)
    expect(await failed?.getState()).not.toBe('failed')
    await expect.poll(async () => failed?.getState(), { timeout: 30_000 }).toBe('completed')
    // The stored job (the first delivery's data) ran a second time; no second job was added.
    expect(runs).toEqual(['first', 'first'])
    expect(await allJobs(jobs)).toHaveLength(1)
  }, 60_000)

  // Two duplicates that both find the job failed both retry it; the second retry's rejection
  // (already retried) must not turn into a 503.
  it('concurrent duplicates of a failed keyed event are all acknowledged (one retry of its job)', async () => {
    const queue = bullmqQueue({ connection: connection(), name, sealKey: TEST_SEAL_KEY, attempts: 1 })
    const web = build(queue)
    expect((await deliverIdentity(web, 'first')).status).toBe(200)
    startWorker()
    await expect.poll(() => jobs.getFailedCount(), { timeout: 30_000 }).toBe(1)

    // Both duplicates look the job up before either retries it (held until both asked).
    const getJob = queue.queue.getJob.bind(queue.queue)
    const bothAsked = newGate()
    let asked = 0
    vi.spyOn(queue.queue, 'getJob').mockImplementation(async (id) => {
      if (++asked === 2) bothAsked.open()
      await bothAsked.promise
      return getJob(id)
    })
    const replies = await Promise.all([deliverIdentity(web, 'again-1'), deliverIdentity(web, 'again-2')])
    expect(asked).toBe(2)
    await expect.poll(async () => (await allJobs(jobs))[0]?.getState(), { timeout: 30_000 }).toBe('completed')
    expect(runs).toEqual(['first', 'first'])
    expect(replies.map((reply) => reply.status)).toEqual([200, 200])
  }, 60_000)

  it('a duplicate of a keyed event whose job did not fail changes nothing', async () => {
    const web = build()
    runs.push('(first run already failed)') // so the handler succeeds from now on
    expect((await deliverIdentity(web, 'first')).status).toBe(200)
    startWorker()
    const [job] = await allJobs(jobs)
    await expect.poll(async () => job?.getState(), { timeout: 30_000 }).toBe('completed')
    expect((await deliverIdentity(web, 'again')).status).toBe(200)
    expect(await job?.getState()).toBe('completed')
    expect(runs).toEqual(['(first run already failed)', 'first'])
  }, 60_000)

  it("the worker logs a Redis error as name, message and code, never the command's arguments", async () => {
    const worker = startWorker()
    const error = Object.assign(new Error('OOM command not allowed when used memory > maxmemory'), {
      name: 'ReplyError',
      code: 'OOM',
      command: { name: 'evalsha', args: ['sha', JSON.stringify({ identity: { email: PAYLOAD_VALUE } })] },
    })
    worker.worker.emit('error', error)
    expect(logged).toEqual([
      {
        level: 'error',
        message: 'The trigger worker had a Redis error',
        details: { error: { name: 'ReplyError', message: error.message, code: 'OOM' } },
      },
    ])
    expect(JSON.stringify(logged)).not.toContain(PAYLOAD_VALUE)
  }, 60_000)
})
