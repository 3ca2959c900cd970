import { createTriggerReceiver, defineTrigger, type TriggerReceiver } from '@isc-triggers/core'
import { deliver, type FakeIsc, sampleInput, sampleOutput, startFakeIsc } from '@isc-triggers/testing'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { z } from 'zod'
import { bullmqQueue } from './bullmq-queue.js'
import {
  connection,
  describeWithRedis,
  redisUrl,
  TEST_SEAL_KEY,
  uniqueQueueName,
} from './redis.test-helper.js'
import { startTriggerWorker, type TriggerWorker } from './trigger-worker.js'

const TOKEN = 'durable-test-token'
const decision = { approved: true, comment: 'queued', approver: 'worker' }
const slowApproval = defineTrigger({
  id: 'acme:slow-approval',
  type: 'request-response',
  input: z.looseObject({}),
  output: z.object({ approved: z.boolean() }),
})
function newGate(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {}
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}
let gate = newGate()

describeWithRedis('durable delivery on BullMQ (web receiver and worker in one process)', () => {
  let isc: FakeIsc
  let name: string
  let web: TriggerReceiver
  let workerSide: TriggerReceiver
  let worker: TriggerWorker | undefined
  const handled: string[] = []
  const where: string[] = []

  function build(role: string): TriggerReceiver {
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TOKEN] },
      logger: false,
      completion: { allowedCallbackOrigins: [isc.origin] },
      queue: bullmqQueue({ connection: connection(), name, sealKey: TEST_SEAL_KEY }),
    })
    receiver.on('idn:identity-created', async (input) => {
      where.push(role)
      handled.push(input.identity.id)
    })
    receiver.on(
      'idn:access-request-pre-approval',
      async (_input, ctx) => {
        where.push(role)
        handled.push(ctx.invocation?.invocationId ?? '?')
        return decision
      },
      { mode: 'async' },
    )
    receiver.on(
      'idn:access-request-dynamic-approver',
      async (input, ctx) => {
        where.push(role)
        if (String(input.accessRequestId) === 'defer') ctx.defer()
        return sampleOutput('idn:access-request-dynamic-approver')
      },
      { mode: 'dynamic', timeoutMs: 9_000 },
    )
    receiver.on(
      slowApproval,
      async () => {
        where.push(role)
        await gate.promise // released by the test once the web process has answered
        return { approved: true }
      },
      { mode: 'dynamic', timeoutMs: 200 },
    )
    return receiver
  }

  beforeEach(async () => {
    isc = await startFakeIsc()
    name = uniqueQueueName()
    gate = newGate()
    handled.length = 0
    where.length = 0
    web = build('web')
    workerSide = build('worker')
  })

  afterEach(async () => {
    gate.resolve()
    await worker?.close()
    worker = undefined
    await web.close()
    await workerSide.close()
    await isc.close()
  })

  it('acknowledges a fire-and-forget delivery once stored, and a worker runs the handler', async () => {
    const reply = await deliver(web, 'idn:identity-created', undefined, { bearer: TOKEN })
    expect(reply.status).toBe(200)
    expect(handled).toEqual([]) // not run in the web process
    worker = startTriggerWorker(workerSide, { concurrency: 2 })
    await expect.poll(() => handled.length, { timeout: 10_000 }).toBe(1)
    expect(where).toEqual(['worker'])
  })

  it('ASYNC: 200 {} once stored; the worker decides and completes at the fake ISC; the secret is sealed in Redis', async () => {
    const reply = await deliver(web, 'idn:access-request-pre-approval', undefined, {
      bearer: TOKEN,
      mode: 'async',
      isc,
    })
    expect(reply.status).toBe(200)
    const redis = new Redis(redisUrl as string)
    try {
      const keys = await redis.keys(`bull:${name}:isc-*`)
      expect(keys.length).toBe(1)
      const data = JSON.parse((await redis.hget(keys[0] as string, 'data')) as string)
      expect(data.invocation.secret).toMatch(/^aes256gcm\.v1\./)
    } finally {
      redis.disconnect()
    }
    worker = startTriggerWorker(workerSide)
    const completion = await reply.completion
    expect(completion?.body).toMatchObject({ output: decision })
    expect(where).toEqual(['worker'])
  })

  it('DYNAMIC: a decision the worker makes within the budget is the 200 reply, and no callback is sent', async () => {
    worker = startTriggerWorker(workerSide)
    const input = { ...sampleInput('idn:access-request-dynamic-approver'), accessRequestId: 'fast' }
    const reply = await deliver(web, 'idn:access-request-dynamic-approver', input, {
      bearer: TOKEN,
      mode: 'dynamic',
      isc,
    })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual(sampleOutput('idn:access-request-dynamic-approver'))
    expect(where).toEqual(['worker'])
    // The worker saw the web process's claim: it sends nothing, and its job completes.
    await expect.poll(async () => (await jobStates(name)).completed, { timeout: 10_000 }).toBe(1)
    expect(isc.attempts).toEqual([])
  })

  it('DYNAMIC with ctx.defer() in the worker: 202, then exactly one callback from the worker', async () => {
    worker = startTriggerWorker(workerSide)
    const input = { ...sampleInput('idn:access-request-dynamic-approver'), accessRequestId: 'defer' }
    const reply = await deliver(web, 'idn:access-request-dynamic-approver', input, {
      bearer: TOKEN,
      mode: 'dynamic',
      isc,
    })
    expect(reply.status).toBe(202)
    const completion = await reply.completion
    expect(completion?.body).toMatchObject({ output: sampleOutput('idn:access-request-dynamic-approver') })
    await expect.poll(async () => (await jobStates(name)).completed, { timeout: 10_000 }).toBe(1)
    expect(isc.attempts).toHaveLength(1)
  })

  it('DYNAMIC past the budget: 202, then exactly one callback once the worker decides', async () => {
    worker = startTriggerWorker(workerSide)
    const metadata = {
      callbackURL: isc.callbackURL('slow-1'),
      secret: 'slow-secret',
      triggerId: slowApproval.id,
    }
    const reply = await web.handle({
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ _metadata: metadata }),
      trigger: 'slow-approval',
    })
    expect(reply.status).toBe(202)
    gate.resolve()
    const completion = await isc.waitForCompletion('slow-1', 10_000)
    expect(completion.body).toEqual({ secret: 'slow-secret', output: { approved: true } })
    await expect.poll(async () => (await jobStates(name)).completed, { timeout: 10_000 }).toBe(1)
    expect(isc.attempts).toHaveLength(1)
  })
})

async function jobStates(name: string): Promise<Record<string, number>> {
  const queue = new Queue(name, { connection: connection() })
  try {
    return await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')
  } finally {
    await queue.close()
  }
}
