import {
  createMemoryDedupeStore,
  createTriggerReceiver,
  type TriggerReceiver,
  type TriggerReceiverOptions,
  type TriggerRejection,
} from '@isc-triggers/core'
import { deliver, type FakeIsc, startFakeIsc } from '@isc-triggers/testing'
import { Queue } from 'bullmq'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { bullmqQueue } from './bullmq-queue.js'
import { jobIdFor } from './job-id.js'
import {
  allJobs,
  deliverIdentity,
  deliverInvocation,
  PRE_APPROVAL,
  TOKEN,
} from './queue-fixture.test-helper.js'
import { connection, describeWithRedis, TEST_SEAL_KEY, uniqueQueueName } from './redis.test-helper.js'
import { startTriggerWorker, type TriggerWorker } from './trigger-worker.js'

const decision = { approved: true, comment: 'once', approver: 'worker' }
type Handlers = 'queued' | 'in-process'

describeWithRedis('one job per delivery key, and what never goes to the queue', () => {
  let isc: FakeIsc
  let name: string
  let jobs: Queue
  let worker: TriggerWorker | undefined
  const receivers: TriggerReceiver[] = []
  const runs: string[] = []
  const rejections: TriggerRejection[] = []

  /**
   * A receiver on the test queue: `queued` registers the handlers as a queue runs them (ASYNC
   * pre-approval), `in-process` with `{ queue: false }` and a SYNC pre-approval.
   */
  function build(role: string, handlers: Handlers, options: Partial<TriggerReceiverOptions> = {}) {
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TOKEN] },
      logger: false,
      completion: { allowedCallbackOrigins: [isc.origin] },
      queue: bullmqQueue({ connection: connection(), name, sealKey: TEST_SEAL_KEY }),
      onRejected: (rejection) => {
        rejections.push(rejection)
      },
      ...options,
    })
    const inProcess = handlers === 'in-process'
    receiver.on(
      'idn:identity-created',
      async (input) => {
        runs.push(`${role}:${input.identity.id}`)
      },
      inProcess ? { queue: false } : undefined,
    )
    receiver.on(
      PRE_APPROVAL,
      async (_input, ctx) => {
        runs.push(`${role}:${ctx.invocation?.invocationId ?? 'sync'}`)
        return decision
      },
      { mode: inProcess ? 'sync' : 'async' },
    )
    receivers.push(receiver)
    return receiver
  }

  beforeEach(async () => {
    isc = await startFakeIsc()
    name = uniqueQueueName()
    jobs = new Queue(name, { connection: connection() })
    runs.length = 0
    rejections.length = 0
  })

  afterEach(async () => {
    await worker?.close()
    worker = undefined
    await jobs.obliterate({ force: true })
    await Promise.all([jobs.close(), ...receivers.splice(0).map((receiver) => receiver.close())])
    await isc.close()
  })

  it('ASYNC: the same invocation delivered twice (and again once done) makes one job and one completion', async () => {
    const web = build('web', 'queued')
    expect((await deliverInvocation(web, isc, 'inv-twice', 's3cr3t')).status).toBe(200)
    expect((await deliverInvocation(web, isc, 'inv-twice', 's3cr3t')).status).toBe(200)
    expect(await allJobs(jobs)).toHaveLength(1)
    worker = startTriggerWorker(build('worker', 'queued'))
    await expect.poll(() => jobs.getCompletedCount(), { timeout: 30_000 }).toBe(1)
    // Once more after the job completed: its id is still kept, so nothing runs or is sent again.
    expect((await deliverInvocation(web, isc, 'inv-twice', 's3cr3t')).status).toBe(200)
    expect(await jobs.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed')).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      completed: 1,
      failed: 0,
    })
    expect(runs).toEqual(['worker:inv-twice'])
    expect(isc.attempts.map((attempt) => [attempt.invocationId, attempt.status])).toEqual([
      ['inv-twice', 204],
    ])
  })

  it('fire-and-forget with a dedupe key: delivered twice, through two web processes, makes one job', async () => {
    const dedupe = () => ({
      store: createMemoryDedupeStore(), // each web process its own: the job id is what dedupes
      key: (input: unknown) => `identity:${(input as { identity: { id: string } }).identity.id}`,
    })
    const first = build('web-1', 'queued', { dedupe: dedupe() })
    const second = build('web-2', 'queued', { dedupe: dedupe() })
    expect((await deliverIdentity(first, 'id-1')).status).toBe(200)
    expect((await deliverIdentity(second, 'id-1')).status).toBe(200)
    expect((await deliverIdentity(first, 'id-2')).status).toBe(200)
    const stored = await allJobs(jobs)
    const idOf = (identity: string) =>
      jobIdFor({ key: `idn:identity-created:identity:${identity}`, mode: 'event' })
    expect(stored.map((job) => job.id).sort()).toEqual([idOf('id-1'), idOf('id-2')].sort())
    worker = startTriggerWorker(build('worker', 'queued'))
    await expect.poll(() => jobs.getCompletedCount(), { timeout: 30_000 }).toBe(2)
    expect(runs.sort()).toEqual(['worker:id-1', 'worker:id-2'])
  })

  it('fire-and-forget without a key: two identical deliveries are two jobs, each run', async () => {
    const web = build('web', 'queued')
    expect((await deliverIdentity(web, 'same')).status).toBe(200)
    expect((await deliverIdentity(web, 'same')).status).toBe(200)
    expect(await allJobs(jobs)).toHaveLength(2)
    worker = startTriggerWorker(build('worker', 'queued'))
    await expect.poll(() => jobs.getCompletedCount(), { timeout: 30_000 }).toBe(2)
    expect(runs).toEqual(['worker:same', 'worker:same'])
  })

  it('{ queue: false } runs the handler in the web process, and no job is made', async () => {
    const web = build('web', 'in-process')
    expect((await deliverIdentity(web, 'here')).status).toBe(200)
    expect(runs).toEqual(['web:here'])
    expect(await allJobs(jobs)).toEqual([])
  })

  it('SYNC with a queue runs in the web process: the reply is the decision, and no job is made', async () => {
    const web = build('web', 'in-process')
    const reply = await deliver(web, PRE_APPROVAL, undefined, { bearer: TOKEN })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual(decision)
    expect(runs).toEqual(['web:sync'])
    expect(await allJobs(jobs)).toEqual([])
  })

  it('ASYNC with a callback URL the guard does not allow: 400 INVALID_CALLBACK, before anything is stored', async () => {
    const web = build('web', 'queued')
    const evil = 'https://evil.example.com/beta/trigger-invocations/inv-evil/complete'
    const reply = await deliverInvocation(web, isc, 'inv-evil', 's3cr3t', evil)
    expect(reply.status).toBe(400)
    expect(JSON.parse(reply.body)).toMatchObject({ error: { code: 'INVALID_CALLBACK' } })
    expect(rejections.map((rejection) => [rejection.status, rejection.code])).toEqual([
      [400, 'INVALID_CALLBACK'],
    ])
    expect(await allJobs(jobs)).toEqual([])
    expect(runs).toEqual([])
  })
})
