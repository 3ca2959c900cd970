import { randomBytes, randomUUID } from 'node:crypto'
import { deliver, type FakeIsc, sampleInput, startFakeIsc } from '@isc-triggers/testing'
import { Queue } from 'bullmq'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type RunningProcess, startProcess } from './process.test-helper.js'
import { redisConnection } from './receiver.js'
import { describeWithRedis, redisUrl } from './redis.test-helper.js'

const TOKEN = 'durable-example-token'

describeWithRedis('the durable example: a web process and a worker process on one Redis', () => {
  const queueName = `durable-example-${randomUUID().slice(0, 8)}`
  let isc: FakeIsc
  let web: RunningProcess
  let worker: RunningProcess
  let base: string

  beforeAll(async () => {
    isc = await startFakeIsc()
    const env = {
      ISC_TOKEN: TOKEN,
      ISC_JOB_KEY: randomBytes(32).toString('base64'),
      REDIS_URL: redisUrl as string,
      ISC_QUEUE: queueName,
      ISC_CALLBACK_ORIGINS: isc.origin,
      PORT: '0',
    }
    web = startProcess('web.ts', env)
    worker = startProcess('worker.ts', { ...env, WORKER_CONCURRENCY: '2' })
    const listening = await web.waitFor(/listening on (\S+)\/<trigger>/)
    base = /listening on (\S+)\/<trigger>/.exec(listening)?.[1] as string
    await worker.waitFor(/ready: queue/)
  }, 120_000)

  afterAll(async () => {
    await Promise.all([web?.stop(), worker?.stop()])
    await isc?.close()
    const queue = new Queue(queueName, { connection: redisConnection(redisUrl as string) })
    await queue.obliterate({ force: true })
    await queue.close()
  }, 60_000)

  it('acknowledges an identity-created event once stored, and the worker (not the web process) handles it', async () => {
    const id = `id-${randomUUID()}`
    const input = sampleInput('idn:identity-created', { identity: { id, name: 'Katherine Johnson' } })
    const reply = await deliver(base, 'idn:identity-created', input, { bearer: TOKEN })
    expect(reply.status).toBe(200)
    const handled = () => worker.lines.filter((line) => line.includes(`welcome Katherine Johnson (${id})`))
    await expect.poll(() => handled().length, { timeout: 30_000 }).toBe(1)
    expect(web.lines.some((line) => line.includes(id))).toBe(false)
  })

  it('ASYNC: answers 200 {} at once, then the worker decides and completes the invocation at the fake ISC once', async () => {
    const accessRequestId = `ar-${randomUUID()}`
    const input = sampleInput('idn:access-request-pre-approval', {
      accessRequestId,
      requestedItems: [{ id: 'item-1', name: 'Payroll Read', type: 'ACCESS_PROFILE', operation: 'Add' }],
    })
    const reply = await deliver(base, 'idn:access-request-pre-approval', input, {
      bearer: TOKEN,
      mode: 'async',
      isc,
      timeoutMs: 30_000,
    })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({})
    const completion = await reply.completion
    expect(completion?.status).toBe(204)
    expect(completion?.body).toMatchObject({ output: { approved: true, approver: 'svc-access-policy' } })
    expect(isc.attempts.filter((attempt) => attempt.invocationId === reply.invocationId)).toHaveLength(1)
    expect(worker.lines.some((line) => line.includes(`${accessRequestId} approved`))).toBe(true)
    expect(web.lines.some((line) => line.includes(accessRequestId))).toBe(false)
  })

  it('shuts down on SIGTERM: both processes exit 0', async () => {
    await Promise.all([worker.stop(), web.stop()])
    expect(worker.child.exitCode).toBe(0)
    expect(web.child.exitCode).toBe(0)
  })
})
