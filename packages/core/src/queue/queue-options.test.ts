import { afterEach, describe, expect, it, vi } from 'vitest'
import { closeLoopbacks, loopback } from '../callbacks/loopback.test-helper.js'
import { TriggerConfigError } from '../errors.js'
import { createTriggerReceiver } from '../receiver/receiver.js'
import { memoryQueue } from './memory-queue.test-helper.js'
import {
  approval,
  approvalBody,
  auth,
  INVOCATION_ID,
  post,
  userCreated,
  userCreatedBody,
} from './queue-fixtures.test-helper.js'

// Which handlers go to the queue: every fire-and-forget, ASYNC and DYNAMIC one unless registered
// with `{ queue: false }`; SYNC never. And the options that say so, checked at start-up.

afterEach(closeLoopbacks)

const receiver = (queue = memoryQueue()) => createTriggerReceiver({ auth, logger: false, queue })

describe('what runs in the web process despite a queue', () => {
  it('a SYNC handler runs here and answers itself; nothing is enqueued', async () => {
    const queue = memoryQueue()
    const handler = vi.fn(() => ({ approved: true }))
    const r = receiver(queue).on(approval, handler)
    const reply = await r.handle(post('approval', approvalBody()))
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body)).toEqual({ approved: true, comment: 'none' })
    expect(handler).toHaveBeenCalledTimes(1)
    expect(queue.calls).toHaveLength(0)
    expect(queue.watches).toHaveLength(0)
  })

  it("an explicit mode 'sync' with { queue: false } is accepted and runs here", async () => {
    const queue = memoryQueue()
    const handler = vi.fn(() => ({ approved: false }))
    const r = receiver(queue).on(approval, handler, { mode: 'sync', queue: false })
    expect((await r.handle(post('approval', approvalBody()))).status).toBe(200)
    expect(handler).toHaveBeenCalledTimes(1)
    expect(queue.calls).toHaveLength(0)
  })

  it('a fire-and-forget handler with { queue: false } runs here, with the parsed input', async () => {
    const queue = memoryQueue()
    const handler = vi.fn()
    const r = receiver(queue).on(userCreated, handler, { queue: false })
    expect((await r.handle(post('user-created', userCreatedBody()))).status).toBe(200)
    await expect.poll(() => handler.mock.calls.length, { timeout: 30_000 }).toBe(1)
    expect(handler.mock.calls[0]![0]).toEqual({ user: { id: 'u-1' }, source: 'isc' })
    expect(queue.calls).toHaveLength(0)
  })

  it.each([
    ['async', { mode: 'async', queue: false }],
    ['dynamic', { mode: 'dynamic', queue: false, timeoutMs: 8_000 }],
  ] as const)(
    'an %s handler with { queue: false } runs here and completes by itself',
    async (mode, options) => {
      const isc = await loopback()
      const queue = memoryQueue()
      const handler = vi.fn(() => ({ approved: true }))
      const r = createTriggerReceiver({
        auth,
        logger: false,
        queue,
        completion: { allowedCallbackOrigins: [isc.origin] },
      }).on(approval, handler, options)
      const callbackURL = `${isc.origin}/beta/trigger-invocations/${INVOCATION_ID}/complete`
      const reply = await r.handle(post('approval', approvalBody({ callbackURL })))
      expect(reply.status).toBe(200)
      expect(handler).toHaveBeenCalledTimes(1)
      if (mode === 'async') {
        const [callback] = await isc.until(1, 30_000)
        expect(JSON.parse(callback!.body)).toMatchObject({ output: { approved: true, comment: 'none' } })
      } else expect(JSON.parse(reply.body)).toEqual({ approved: true, comment: 'none' })
      await r.close()
      expect(queue.calls).toHaveLength(0)
      expect(queue.watches).toHaveLength(0)
    },
  )
})

describe('the queue options, checked at start-up', () => {
  it('{ queue: true } on a SYNC handler (explicit or by default) is a TriggerConfigError', () => {
    // The types refuse it too; JavaScript callers get the error at start-up.
    for (const options of [{ queue: true }, { mode: 'sync', queue: true }])
      expect(() => receiver().on(approval, () => ({ approved: true }), options as never)).toThrow(
        TriggerConfigError,
      )
  })

  it('{ queue: true } on an ASYNC or DYNAMIC handler is accepted', () => {
    expect(() =>
      receiver().on(approval, () => ({ approved: true }), { mode: 'async', queue: true }),
    ).not.toThrow()
    expect(() =>
      receiver().on(approval, () => ({ approved: true }), { mode: 'dynamic', queue: true }),
    ).not.toThrow()
  })

  it.each(['x', 1, null, {}])('{ queue: %j } is a TriggerConfigError', (queue) => {
    const options = { mode: 'async', queue } as never
    expect(() => receiver().on(approval, () => ({ approved: true }), options)).toThrow(TriggerConfigError)
    expect(() => receiver().on(userCreated, () => {}, { queue } as never)).toThrow(TriggerConfigError)
  })

  it('a fire-and-forget handler takes { queue: false } (or true) but still refuses other options', () => {
    expect(() => receiver().on(userCreated, () => {}, { queue: false })).not.toThrow()
    expect(() => receiver().on(userCreated, () => {}, { queue: true })).not.toThrow()
    for (const options of [
      { queue: false, mode: 'async' },
      { queue: false, timeoutMs: 1_000 },
      { mode: 'sync' },
    ])
      expect(() => receiver().on(userCreated, () => {}, options as never)).toThrow(TriggerConfigError)
  })

  it.each([
    ['a string', 'redis://127.0.0.1:6379'],
    ['null', null],
    ['an empty object', {}],
    ['no watchReply', { enqueue: async () => {}, close: async () => {} }],
    ['no close', { enqueue: async () => {}, watchReply: () => ({}) }],
    ['no enqueue', { watchReply: () => ({}), close: async () => {} }],
  ])('a queue option that is not a TriggerQueue (%s) is a TriggerConfigError', (_name, queue) => {
    expect(() => createTriggerReceiver({ auth, logger: false, queue: queue as never })).toThrow(
      TriggerConfigError,
    )
  })

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '5000'])(
    'a queue whose enqueueTimeoutMs is %s is a TriggerConfigError (Node would fire its timer after 1 ms)',
    (enqueueTimeoutMs) => {
      const queue = { ...memoryQueue(), enqueueTimeoutMs: enqueueTimeoutMs as number }
      expect(() => createTriggerReceiver({ auth, logger: false, queue })).toThrow(TriggerConfigError)
    },
  )

  it('the double itself is a TriggerQueue', () => {
    expect(() => createTriggerReceiver({ auth, logger: false, queue: memoryQueue() })).not.toThrow()
  })
})
