import { getEventListeners } from 'node:events'
import { createTriggerReceiver, queuedDeliveries, type TriggerReceiver } from '@isc-triggers/core'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { bullmqQueue } from './bullmq-queue.js'
import { freePort, OwnRedis } from './own-redis.test-helper.js'
import { deliverIdentity, TOKEN } from './queue-fixture.test-helper.js'
import { connection, describeWithRedis, TEST_SEAL_KEY, uniqueQueueName } from './redis.test-helper.js'
import { ReplyChannel } from './reply-channel.js'
import { startTriggerWorker, type TriggerWorker } from './trigger-worker.js'

// Faults a hostile test found in the worker and the reply channel (review of issue 16).
describeWithRedis('worker faults', () => {
  let name: string
  let jobs: Queue
  const workers: TriggerWorker[] = []
  const receivers: TriggerReceiver[] = []
  const runs: string[] = []

  function build(withHandler: boolean, queueConnection: object = connection()): TriggerReceiver {
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TOKEN] },
      logger: false,
      queue: bullmqQueue({ connection: queueConnection, name, sealKey: TEST_SEAL_KEY, attempts: 1 }),
    })
    if (withHandler)
      receiver.on('idn:identity-created', (input) => {
        runs.push(input.identity.id)
      })
    receivers.push(receiver)
    return receiver
  }

  beforeEach(() => {
    name = uniqueQueueName()
    jobs = new Queue(name, { connection: connection() })
    runs.length = 0
  })

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.close({ timeoutMs: 1_000 })))
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
    await jobs.obliterate({ force: true })
    await jobs.close()
  })

  it('a job a run leaves behind holds no listener on the engine signal (no context kept for the worker life)', async () => {
    const receiver = build(true)
    const signal = new AbortController().signal
    const delivery = {
      v: 1 as const,
      trigger: 'idn:identity-created',
      mode: 'event' as const,
      input: (await import('./queue-fixture.test-helper.js')).identityCreated('signal-1'),
      receivedAt: Date.now(),
      key: undefined,
    }
    for (let i = 0; i < 3; i++) await queuedDeliveries(receiver).run(delivery, { signal })
    expect(runs).toEqual(['signal-1', 'signal-1', 'signal-1'])
    expect(getEventListeners(signal, 'abort')).toHaveLength(0)
  })

  it('deploy skew: a worker without the handler puts the job back without spending an attempt; a worker with it runs it', async () => {
    expect((await deliverIdentity(build(true), 'skew-1')).status).toBe(200)
    workers.push(startTriggerWorker(build(false)))
    await expect.poll(async () => (await jobs.getDelayed()).length, { timeout: 30_000 }).toBe(1)
    const [waiting] = await jobs.getDelayed()
    expect(waiting?.attemptsMade).toBe(0) // attempts: 1, and it is not failed
    expect(await jobs.getFailedCount()).toBe(0)
    await (workers.pop() as TriggerWorker).close()
    workers.push(startTriggerWorker(build(true)))
    await expect.poll(() => runs, { timeout: 30_000 }).toEqual(['skew-1'])
  }, 60_000)

  it('two web requests waiting for the same DYNAMIC invocation both hear its decision', async () => {
    const listener = new ReplyChannel(connection(), 'bull', name)
    const publisher = new ReplyChannel(connection(), 'bull', name)
    try {
      await listener.subscribed()
      const heard: string[] = []
      const first = listener.listen('isc-1', (message) => heard.push(`first:${message.kind}`))
      listener.listen('isc-1', (message) => heard.push(`second:${message.kind}`))
      await publisher.publish({ id: 'isc-1', kind: 'deferred' })
      await expect
        .poll(() => [...heard].sort(), { timeout: 10_000 })
        .toEqual(['first:deferred', 'second:deferred'])
      first()
      await publisher.publish({ id: 'isc-1', kind: 'deferred' })
      await expect.poll(() => heard.length, { timeout: 10_000 }).toBe(3)
      expect(heard[2]).toBe('second:deferred')
    } finally {
      await Promise.all([listener.close(), publisher.close()])
    }
  })

  it('receiver.close() and worker.close() end although Redis stopped answering', async () => {
    const redis = new OwnRedis(await freePort())
    await redis.start()
    try {
      const web = build(true, redis.connection)
      expect((await deliverIdentity(web, 'paused-1')).status).toBe(200)
      const worker = startTriggerWorker(build(true, redis.connection))
      await expect.poll(() => runs, { timeout: 30_000 }).toEqual(['paused-1'])
      const admin = new Redis(redis.connection)
      await admin.call('CLIENT', 'PAUSE', '600000', 'ALL') // a black hole: nothing is answered
      admin.disconnect()
      // Without the bounds these never resolve (the test then fails at its own timeout).
      await worker.close({ timeoutMs: 500 })
      const closing = receivers.splice(0)
      await Promise.all(closing.map((receiver) => receiver.close({ timeoutMs: 500 })))
    } finally {
      await redis.kill()
    }
  }, 60_000)
})
