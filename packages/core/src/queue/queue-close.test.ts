import { describe, expect, it, vi } from 'vitest'
import { createTriggerReceiver } from '../receiver/receiver.js'
import { memoryQueue, turns } from './memory-queue.test-helper.js'
import { auth, post, userCreated, userCreatedBody } from './queue-fixtures.test-helper.js'

// receiver.close() and the queue: the queue's connections are closed once, and only after every
// delivery is answered (a pending enqueue is a delivery in flight).

function receiverWith(queue = memoryQueue()) {
  return createTriggerReceiver({ auth, logger: false, queue }).on(userCreated, () => {})
}

describe('receiver.close() with a queue', () => {
  it('calls queue.close() once', async () => {
    const queue = memoryQueue()
    const receiver = receiverWith(queue)
    await receiver.close()
    expect(queue.closeCalls).toBe(1)
  })

  it('calls queue.close() once when close() is called twice, at once or one after the other', async () => {
    const queue = memoryQueue()
    const receiver = receiverWith(queue)
    await Promise.all([receiver.close(), receiver.close()])
    await receiver.close()
    expect(queue.closeCalls).toBe(1)
  })

  it('waits for a pending enqueue: that delivery is still answered 200, then the queue closes', async () => {
    const queue = memoryQueue({ behaviour: 'manual', enqueueTimeoutMs: 60_000 })
    const receiver = receiverWith(queue)
    const reply = receiver.handle(post('user-created', userCreatedBody())).then((r) => {
      queue.log.push(`reply ${r.status}`)
      return r
    })
    await expect.poll(() => queue.calls.length, { timeout: 30_000 }).toBe(1)
    const closing = [receiver.close({ timeoutMs: 60_000 }), receiver.close({ timeoutMs: 60_000 })]
    await turns()
    expect(queue.closeCalls).toBe(0)
    queue.calls[0]!.resolve()
    expect((await reply).status).toBe(200)
    const reports = await Promise.all(closing)
    expect(reports.map((r) => r.abandoned)).toEqual([0, 0])
    expect(queue.closeCalls).toBe(1)
    expect(queue.log).toEqual(['enqueue', 'stored', 'reply 200', 'close'])
  })

  it('a delivery after close() is refused 503 SHUTTING_DOWN and not enqueued', async () => {
    const queue = memoryQueue()
    const receiver = receiverWith(queue)
    await receiver.close()
    const reply = await receiver.handle(post('user-created', userCreatedBody()))
    expect(reply.status).toBe(503)
    expect(JSON.parse(reply.body).error.code).toBe('SHUTTING_DOWN')
    expect(queue.calls).toHaveLength(0)
  })

  it('a queue whose close() rejects: close() still resolves, and the failure is logged', async () => {
    const queue = memoryQueue()
    queue.close = async () => {
      queue.closeCalls++
      throw new Error('connection reset')
    }
    const logger = { error: vi.fn(), warn: vi.fn() }
    const receiver = createTriggerReceiver({ auth, logger, queue }).on(userCreated, () => {})
    await expect(receiver.close()).resolves.toMatchObject({ abandoned: 0 })
    expect(queue.closeCalls).toBe(1)
    expect(logger.error).toHaveBeenCalledWith('The queue failed to close', expect.anything())
  })
})
