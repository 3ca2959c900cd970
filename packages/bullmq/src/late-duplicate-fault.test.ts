import { createMemoryDedupeStore, createTriggerReceiver, type TriggerReceiver } from '@isc-triggers/core'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { bullmqQueue } from './bullmq-queue.js'
import { freePort, OwnRedis } from './own-redis.test-helper.js'
import { allJobs, deliverIdentity, storedIdentityIds, TOKEN } from './queue-fixture.test-helper.js'
import { describeWithRedis, TEST_SEAL_KEY, uniqueQueueName } from './redis.test-helper.js'
import { startTriggerWorker, type TriggerWorker } from './trigger-worker.js'

/** Lets pending promise callbacks run and issue their commands (no timer, no elapsed time). */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

// A delivery answered 503 because its add stalled (Redis paused) has its add finish later, once
// Redis takes writes again. When its job id was already taken by an earlier, acknowledged
// delivery of the same key, that job must stay: only a job the late add itself stored is removed.
describeWithRedis('a late add of a duplicate delivery (a redis-server of its own, writes paused)', () => {
  let redis: OwnRedis
  let admin: Redis | undefined
  const receivers: TriggerReceiver[] = []
  let worker: TriggerWorker | undefined
  let inspector: Queue | undefined
  const runs: string[] = []

  function build(queue: ReturnType<typeof bullmqQueue>): TriggerReceiver {
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TOKEN] },
      logger: false,
      onRejected: () => {},
      // Every delivery is the same event: one job id for all of them.
      dedupe: { store: createMemoryDedupeStore(), key: () => 'same' },
      queue,
    })
    receiver.on('idn:identity-created', async (input) => {
      runs.push(input.identity.id)
    })
    receivers.push(receiver)
    return receiver
  }

  beforeEach(async () => {
    redis = new OwnRedis(await freePort())
    await redis.start()
    admin = new Redis({ ...redis.connection, maxRetriesPerRequest: null })
    runs.length = 0
  })

  afterEach(async () => {
    await admin?.call('CLIENT', 'UNPAUSE').catch(() => {})
    await worker?.close({ timeoutMs: 1_000 })
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
    await inspector?.close()
    admin?.disconnect()
    await redis.kill()
    worker = undefined
    inspector = undefined
    admin = undefined
  })

  it('keeps the acknowledged job (and a worker runs it) when the 503 duplicate is added after all', async () => {
    const name = uniqueQueueName()
    const queue = bullmqQueue({
      connection: redis.connection,
      name,
      sealKey: TEST_SEAL_KEY,
      enqueueTimeoutMs: 300,
    })
    const web = build(queue)
    const add = vi.spyOn(queue.queue, 'add')

    expect((await deliverIdentity(web, 'first')).status).toBe(200)
    expect(await storedIdentityIds(queue.queue)).toEqual(['first'])

    // Writes (BullMQ's add script) wait until UNPAUSE: the duplicate's add stalls past 300 ms.
    await admin!.call('CLIENT', 'PAUSE', '600000', 'WRITE')
    const duplicate = await deliverIdentity(web, 'second')
    expect(duplicate.status).toBe(503)
    expect(duplicate.body).toMatchObject({ error: { code: 'QUEUE_UNAVAILABLE' } })
    expect(add).toHaveBeenCalledTimes(2)
    await admin!.call('CLIENT', 'UNPAUSE')

    // The late add goes through now (a duplicate id: nothing new stored). What follows it (a
    // look-up, a removal) runs on the queue's one connection: a read sent after each round of
    // callbacks returns only once every command they sent before it has been executed.
    await add.mock.results[1]!.value
    const client = await queue.queue.getBackend().client
    for (let i = 0; i < 5; i++) {
      await turns()
      await client.get(`${name}:round-trip`)
    }

    inspector = new Queue(name, { connection: redis.connection })
    expect(await storedIdentityIds(inspector)).toEqual(['first'])
    const [job] = await allJobs(inspector)
    expect(await job?.getState()).toBe('waiting')

    worker = startTriggerWorker(
      build(bullmqQueue({ connection: redis.connection, name, sealKey: TEST_SEAL_KEY })),
    )
    await expect.poll(async () => job?.getState() ?? 'gone', { timeout: 30_000 }).toBe('completed')
    expect(runs).toEqual(['first'])
  }, 60_000)
})
