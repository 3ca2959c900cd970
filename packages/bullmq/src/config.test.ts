import { createTriggerReceiver, TriggerConfigError, type TriggerQueue } from '@isc-triggers/core'
import { describe, expect, it } from 'vitest'
import { bullmqQueue } from './bullmq-queue.js'
import type { BullmqQueueOptions } from './queue-options.js'
import { connection, TEST_SEAL_KEY } from './redis.test-helper.js'
import { startTriggerWorker } from './trigger-worker.js'

const base: BullmqQueueOptions = { connection: connection(), name: 'config-test', sealKey: TEST_SEAL_KEY }

/**
 * What bullmqQueue() makes of `options`: 'accepted' (the queue is closed again at once, so no
 * Redis is needed), 'TriggerConfigError', or another error's message.
 */
async function outcome(options: Partial<Record<keyof BullmqQueueOptions, unknown>>): Promise<string> {
  let queue: TriggerQueue
  try {
    queue = bullmqQueue({ ...base, ...options } as BullmqQueueOptions)
  } catch (error) {
    return error instanceof TriggerConfigError ? 'TriggerConfigError' : `other: ${(error as Error).message}`
  }
  await queue.close()
  return 'accepted'
}

const notPositive: unknown[] = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '3', null]

describe('bullmqQueue(): its options are checked at once (TriggerConfigError)', () => {
  it('needs options with a connection', () => {
    expect(() => bullmqQueue(undefined as unknown as BullmqQueueOptions)).toThrow(TriggerConfigError)
    expect(() => bullmqQueue({ sealKey: TEST_SEAL_KEY } as unknown as BullmqQueueOptions)).toThrow(
      /connection/,
    )
  })

  it.each(notPositive)('refuses attempts: %s', async (attempts) => {
    expect(await outcome({ attempts })).toBe('TriggerConfigError')
  })

  it.each(notPositive)('refuses backoff.delayMs: %s', async (delayMs) => {
    expect(await outcome({ backoff: { delayMs } })).toBe('TriggerConfigError')
  })

  it.each([-0.1, 1.01, 2, Number.NaN, '0.5'])('refuses backoff.jitter: %s', async (jitter) => {
    expect(await outcome({ backoff: { jitter } })).toBe('TriggerConfigError')
  })

  it.each(notPositive)('refuses enqueueTimeoutMs: %s', async (enqueueTimeoutMs) => {
    expect(await outcome({ enqueueTimeoutMs })).toBe('TriggerConfigError')
  })

  it.each(notPositive)('refuses keepCompletedMs: %s', async (keepCompletedMs) => {
    expect(await outcome({ keepCompletedMs })).toBe('TriggerConfigError')
  })

  it('accepts the edges: 1 attempt, jitter 0 and 1, 1 ms bounds', async () => {
    expect(await outcome({ attempts: 1, backoff: { delayMs: 1, jitter: 0 } })).toBe('accepted')
    expect(await outcome({ backoff: { jitter: 1 }, enqueueTimeoutMs: 1, keepCompletedMs: 1 })).toBe(
      'accepted',
    )
  })

  it('tells the receiver its enqueue bound (default 5000 ms)', async () => {
    const given = bullmqQueue({ ...base, enqueueTimeoutMs: 1234 })
    const defaulted = bullmqQueue(base)
    try {
      expect(given.enqueueTimeoutMs).toBe(1234)
      expect(defaulted.enqueueTimeoutMs).toBe(5_000)
    } finally {
      await Promise.all([given.close(), defaulted.close()])
    }
  })

  it('refuses attempts that round to 0 (0.4)', async () => {
    expect(await outcome({ attempts: 0.4 })).toBe('TriggerConfigError')
  })

  // BullMQ itself throws a plain Error or a TypeError for these.
  it.each(['', 'isc:triggers', 42])('refuses name: %s with a TriggerConfigError', async (name) => {
    expect(await outcome({ name })).toBe('TriggerConfigError')
  })
})

describe('startTriggerWorker(): needs a receiver whose queue is a bullmqQueue', () => {
  const auth = { type: 'bearer' as const, tokens: ['t'] }

  it('refuses a receiver without a queue', () => {
    const receiver = createTriggerReceiver({ auth, logger: false })
    expect(() => startTriggerWorker(receiver)).toThrow(TriggerConfigError)
    expect(() => startTriggerWorker(receiver)).toThrow(/bullmqQueue/)
  })

  it('refuses a receiver whose queue is another TriggerQueue', () => {
    const other: TriggerQueue = {
      enqueue: async () => {},
      watchReply: () => ({ wait: async () => undefined, cancel() {} }),
      close: async () => {},
    }
    const receiver = createTriggerReceiver({ auth, logger: false, queue: other })
    expect(() => startTriggerWorker(receiver)).toThrow(TriggerConfigError)
  })

  it('refuses something that is not a receiver', () => {
    expect(() => startTriggerWorker({} as never)).toThrow(TriggerConfigError)
  })
})
