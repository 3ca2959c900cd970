import { describe, expect, it, vi } from 'vitest'
import { createTriggerReceiver } from '../receiver/receiver.js'
import type { TriggerRejection } from '../receiver/rejection.js'
import { type MemoryQueue, memoryQueue, turns } from './memory-queue.test-helper.js'
import {
  approval,
  approvalBody,
  auth,
  INVOCATION_ID,
  INVOCATION_SECRET,
  PAYLOAD_SECRET,
  post,
} from './queue-fixtures.test-helper.js'

// ASYNC and DYNAMIC deliveries with a `queue`, through the real receiver: stored with their
// invocation (the secret in clear: sealing it is the queue's job) and their limits, only with a
// callback the guard allows; DYNAMIC answers with the decision the queue reports, or 202.

const DEADLINE_MS = 120_000
const DYNAMIC_TIMEOUT_MS = 4_000

function receiverWith(queue: MemoryQueue, mode: 'async' | 'dynamic') {
  const handler = vi.fn(() => ({ approved: true }))
  const rejections: TriggerRejection[] = []
  const receiver = createTriggerReceiver({
    auth,
    logger: false,
    queue,
    completion: { deadlineMs: DEADLINE_MS, allowedCallbackOrigins: ['http://127.0.0.1:4010'] },
    onRejected: (r) => void rejections.push(r),
  }).on(approval, handler, mode === 'async' ? { mode } : { mode, timeoutMs: DYNAMIC_TIMEOUT_MS })
  return { receiver, handler, rejections }
}

const metadataOf = () => approvalBody()._metadata

describe('ASYNC with a queue', () => {
  it('stores mode async, the invocation with its secret, key = invocationId, deadlineAt; then 200 {}', async () => {
    const queue = memoryQueue({ behaviour: 'manual', enqueueTimeoutMs: 60_000 })
    const { receiver, handler } = receiverWith(queue, 'async')
    let answered = false
    const reply = receiver.handle(post('approval', approvalBody())).then((r) => {
      answered = true
      return r
    })
    await expect.poll(() => queue.calls.length, { timeout: 30_000 }).toBe(1)
    await turns()
    expect(answered).toBe(false)
    queue.calls[0]!.resolve()
    expect(await reply).toMatchObject({ status: 200, body: '{}' })
    const delivery = queue.stored[0]!
    const { _metadata, ...asReceived } = approvalBody()
    expect(delivery).toMatchObject({ v: 1, trigger: 'acme:approval', mode: 'async', key: INVOCATION_ID })
    expect(delivery.input).toEqual(asReceived)
    expect(delivery.invocation).toEqual({ ..._metadata, invocationId: INVOCATION_ID })
    expect(delivery.invocation?.secret).toBe(INVOCATION_SECRET)
    expect(delivery.deadlineAt).toBe(delivery.receivedAt + DEADLINE_MS)
    expect(delivery.replyBy).toBeUndefined()
    await turns()
    expect(handler).not.toHaveBeenCalled()
  })

  it.each([
    ['no callbackURL', { callbackURL: undefined }],
    ['no secret', { secret: undefined }],
    ['a callback URL outside the allowlist', { callbackURL: 'http://169.254.169.254/latest/meta-data' }],
    ['a callback URL on an unlisted port', { callbackURL: 'http://127.0.0.1:4011/x/complete' }],
  ])('%s: 400 INVALID_CALLBACK, nothing enqueued', async (_name, metadata) => {
    const queue = memoryQueue()
    const { receiver, handler, rejections } = receiverWith(queue, 'async')
    const reply = await receiver.handle(post('approval', approvalBody(metadata)))
    expect(reply.status).toBe(400)
    expect(JSON.parse(reply.body).error.code).toBe('INVALID_CALLBACK')
    expect(queue.calls).toHaveLength(0)
    expect(rejections).toMatchObject([{ code: 'INVALID_CALLBACK' }])
    expect(handler).not.toHaveBeenCalled()
  })

  it('a listed callback origin is accepted', async () => {
    const queue = memoryQueue()
    const { receiver } = receiverWith(queue, 'async')
    const callbackURL = `http://127.0.0.1:4010/beta/trigger-invocations/${INVOCATION_ID}/complete`
    expect((await receiver.handle(post('approval', approvalBody({ callbackURL })))).status).toBe(200)
    expect(queue.stored[0]?.invocation?.callbackURL).toBe(callbackURL)
  })

  it('enqueue rejects: 503 QUEUE_UNAVAILABLE without the payload or the secret, for onRejected', async () => {
    const queue = memoryQueue({ behaviour: 'reject' })
    const { receiver, rejections } = receiverWith(queue, 'async')
    const request = post('approval', approvalBody())
    const reply = await receiver.handle(request)
    expect(reply.status).toBe(503)
    expect(JSON.parse(reply.body).error.code).toBe('QUEUE_UNAVAILABLE')
    expect(reply.body).not.toContain(PAYLOAD_SECRET)
    expect(reply.body).not.toContain(INVOCATION_SECRET)
    expect(rejections).toMatchObject([{ status: 503, code: 'QUEUE_UNAVAILABLE', body: request.body }])
  })
})

describe('DYNAMIC with a queue', () => {
  async function deliverDynamic(queue: MemoryQueue) {
    const { receiver, handler, rejections } = receiverWith(queue, 'dynamic')
    const reply = receiver.handle(post('approval', approvalBody()))
    return { reply, handler, rejections }
  }

  it('watches before it stores, then answers 200 with the output the watch reports', async () => {
    const queue = memoryQueue()
    const { reply, handler } = await deliverDynamic(queue)
    await expect.poll(() => queue.watches[0]?.waitedMs, { timeout: 30_000 }).toBeDefined()
    expect(queue.log).toEqual(['watch', 'enqueue', 'stored', 'wait'])
    expect(queue.watches[0]!.waitedMs).toBeLessThanOrEqual(DYNAMIC_TIMEOUT_MS)
    queue.watches[0]!.decide({ output: { approved: false, comment: 'from the worker' } })
    const answer = await reply
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ approved: false, comment: 'from the worker' })
    expect(handler).not.toHaveBeenCalled()
  })

  it('stores mode dynamic, key = invocationId, deadlineAt and replyBy = receivedAt + timeoutMs', async () => {
    const queue = memoryQueue()
    const { reply } = await deliverDynamic(queue)
    await expect.poll(() => queue.watches[0]?.waitedMs, { timeout: 30_000 }).toBeDefined()
    queue.watches[0]!.decide(undefined)
    await reply
    const delivery = queue.stored[0]!
    expect(queue.watches[0]!.delivery).toBe(delivery)
    expect(delivery).toMatchObject({ mode: 'dynamic', key: INVOCATION_ID, trigger: 'acme:approval' })
    expect(delivery.invocation).toMatchObject({ ...metadataOf(), invocationId: INVOCATION_ID })
    expect(delivery.deadlineAt).toBe(delivery.receivedAt + DEADLINE_MS)
    expect(delivery.replyBy).toBe(delivery.receivedAt + DYNAMIC_TIMEOUT_MS)
  })

  it('a watch that reports no decision: 202 {}', async () => {
    const queue = memoryQueue()
    const { reply } = await deliverDynamic(queue)
    await expect.poll(() => queue.watches[0]?.waitedMs, { timeout: 30_000 }).toBeDefined()
    queue.watches[0]!.decide(undefined)
    expect(await reply).toMatchObject({ status: 202, body: '{}' })
  })

  it('enqueue rejects: 503 QUEUE_UNAVAILABLE, the watch cancelled and never waited on', async () => {
    const queue = memoryQueue({ behaviour: 'reject' })
    const { reply, rejections } = await deliverDynamic(queue)
    const answer = await reply
    expect(answer.status).toBe(503)
    expect(JSON.parse(answer.body).error.code).toBe('QUEUE_UNAVAILABLE')
    expect(queue.watches).toHaveLength(1)
    expect(queue.watches[0]!.cancelled).toBe(true)
    expect(queue.watches[0]!.waitedMs).toBeUndefined()
    expect(queue.log).toEqual(['watch', 'enqueue', 'cancel'])
    expect(rejections).toMatchObject([{ code: 'QUEUE_UNAVAILABLE' }])
  })

  it('enqueue never settles: 503 QUEUE_UNAVAILABLE after enqueueTimeoutMs, the watch cancelled', async () => {
    const queue = memoryQueue({ behaviour: 'never', enqueueTimeoutMs: 50 })
    const { reply, rejections } = await deliverDynamic(queue)
    expect((await reply).status).toBe(503)
    expect(queue.watches[0]!.cancelled).toBe(true)
    expect(queue.watches[0]!.waitedMs).toBeUndefined()
    expect(rejections).toMatchObject([{ code: 'QUEUE_UNAVAILABLE' }])
  })
})
