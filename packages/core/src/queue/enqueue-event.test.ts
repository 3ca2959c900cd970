import { describe, expect, it, vi } from 'vitest'
import { createMemoryDedupeStore } from '../dedupe/dedupe.js'
import { createTriggerReceiver, type TriggerReceiverOptions } from '../receiver/receiver.js'
import type { TriggerRejection } from '../receiver/rejection.js'
import { type MemoryQueue, memoryQueue, turns } from './memory-queue.test-helper.js'
import { auth, PAYLOAD_SECRET, post, userCreated, userCreatedBody } from './queue-fixtures.test-helper.js'

// A fire-and-forget delivery with a `queue`, through the real receiver: stored as received, then
// acknowledged; never run in the web process; a store that fails or stalls is a 503 for onRejected.

function receiverWith(queue: MemoryQueue, options: Partial<TriggerReceiverOptions> = {}) {
  const handler = vi.fn()
  const receiver = createTriggerReceiver({ auth, logger: false, queue, ...options }).on(userCreated, handler)
  return { receiver, handler }
}

describe('a queued fire-and-forget delivery', () => {
  it('is answered 200 only once enqueue resolves, and its handler does not run here', async () => {
    const queue = memoryQueue({ behaviour: 'manual', enqueueTimeoutMs: 60_000 })
    const { receiver, handler } = receiverWith(queue)
    let answered = false
    const reply = receiver.handle(post('user-created', userCreatedBody())).then((r) => {
      answered = true
      return r
    })
    await expect.poll(() => queue.calls.length, { timeout: 30_000 }).toBe(1)
    await turns()
    expect(answered).toBe(false)
    queue.calls[0]!.resolve()
    expect(await reply).toMatchObject({ status: 200, body: '{}' })
    await turns()
    expect(handler).not.toHaveBeenCalled()
  })

  it('is stored with its trigger id, mode event, the input as received, receivedAt and no key', async () => {
    const queue = memoryQueue()
    const { receiver } = receiverWith(queue)
    const before = Date.now()
    const reply = await receiver.handle(post('user-created', userCreatedBody()))
    const after = Date.now()
    expect(reply.status).toBe(200)
    expect(queue.stored).toHaveLength(1)
    const delivery = queue.stored[0]!
    const { _metadata, ...asReceived } = userCreatedBody()
    expect(delivery).toMatchObject({ v: 1, trigger: 'acme:user-created', mode: 'event' })
    // Unknown keys kept, no default applied, no `_metadata`: the worker parses it again.
    expect(delivery.input).toEqual(asReceived)
    expect(delivery.invocation).toEqual(_metadata)
    expect(delivery.receivedAt).toBeGreaterThanOrEqual(before)
    expect(delivery.receivedAt).toBeLessThanOrEqual(after)
    expect('key' in delivery).toBe(true)
    expect(delivery.key).toBeUndefined()
    expect(delivery.deadlineAt).toBeUndefined()
    expect(delivery.replyBy).toBeUndefined()
    // Plain JSON, so any store can keep it.
    expect(JSON.parse(JSON.stringify(delivery))).toEqual(delivery)
  })
})

describe('a delivery the queue cannot store', () => {
  function rejectionsOf(queue: MemoryQueue) {
    const rejections: TriggerRejection[] = []
    const { receiver, handler } = receiverWith(queue, { onRejected: (r) => void rejections.push(r) })
    return { receiver, handler, rejections }
  }

  it('enqueue rejects: 503 QUEUE_UNAVAILABLE without the payload, and onRejected gets the raw body', async () => {
    const queue = memoryQueue({ behaviour: 'reject' })
    const { receiver, handler, rejections } = rejectionsOf(queue)
    const request = post('user-created', userCreatedBody())
    const reply = await receiver.handle(request)
    expect(reply.status).toBe(503)
    expect(JSON.parse(reply.body).error.code).toBe('QUEUE_UNAVAILABLE')
    expect(reply.body).not.toContain(PAYLOAD_SECRET)
    expect(reply.body).not.toContain('u-1')
    expect(reply.body).not.toContain('queue-host.internal') // the queue's own error stays in the log
    expect(rejections).toHaveLength(1)
    expect(rejections[0]).toMatchObject({
      trigger: 'user-created',
      status: 503,
      code: 'QUEUE_UNAVAILABLE',
      issues: [],
      body: request.body,
    })
    expect(rejections[0]!.receivedAt).toBeInstanceOf(Date)
    expect(handler).not.toHaveBeenCalled()
  })

  it('enqueue never settles: 503 QUEUE_UNAVAILABLE after enqueueTimeoutMs, and onRejected gets it', async () => {
    const queue = memoryQueue({ behaviour: 'never', enqueueTimeoutMs: 50 })
    const { receiver, handler, rejections } = rejectionsOf(queue)
    const request = post('user-created', userCreatedBody())
    const reply = await receiver.handle(request)
    expect(reply.status).toBe(503)
    expect(JSON.parse(reply.body).error.code).toBe('QUEUE_UNAVAILABLE')
    expect(reply.body).not.toContain(PAYLOAD_SECRET)
    expect(queue.calls).toHaveLength(1)
    expect(queue.stored).toHaveLength(0)
    expect(rejections).toMatchObject([{ status: 503, code: 'QUEUE_UNAVAILABLE', body: request.body }])
    expect(handler).not.toHaveBeenCalled()
  })
})

describe('dedupe with a queue', () => {
  function dedupedReceiver(queue: MemoryQueue) {
    const store = createMemoryDedupeStore()
    const claim = vi.spyOn(store, 'claim')
    const key = vi.fn((input: unknown) => (input as { user: { id: string } }).user.id)
    const { receiver } = receiverWith(queue, { dedupe: { store, key } })
    return { receiver, claim, key }
  }

  it("the delivery's key is dedupe.key's result prefixed with the trigger id", async () => {
    const queue = memoryQueue()
    const { receiver, key } = dedupedReceiver(queue)
    expect((await receiver.handle(post('user-created', userCreatedBody()))).status).toBe(200)
    expect(key).toHaveBeenCalledTimes(1)
    expect(queue.stored.map((d) => d.key)).toEqual(['acme:user-created:u-1'])
  })

  it('the dedupe store is not claimed for a queued delivery (the queue keeps one job per key)', async () => {
    const queue = memoryQueue()
    const { receiver, claim } = dedupedReceiver(queue)
    await receiver.handle(post('user-created', userCreatedBody()))
    await receiver.handle(post('user-created', userCreatedBody()))
    expect(queue.calls).toHaveLength(2)
    expect(claim).not.toHaveBeenCalled()
  })
})
