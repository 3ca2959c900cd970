import { describe, expect, it } from 'vitest'
import { errorSummary } from '../errors.js'
import { createTriggerReceiver } from '../receiver/receiver.js'
import type { TriggerLogger } from '../types.js'
import { memoryQueue } from './memory-queue.test-helper.js'
import { auth, PAYLOAD_SECRET, post, userCreated, userCreatedBody } from './queue-fixtures.test-helper.js'

// A Redis client's errors carry the failed command and its arguments (ioredis: error.command.args),
// and a queue's commands hold the delivery: payload values and the invocation secret. Logs keep an
// error's name, message and code, never those arguments.

/** An error as ioredis makes one for a failed EVALSHA of BullMQ's add script. */
function redisError(): Error {
  return Object.assign(new Error('OOM command not allowed when used memory > maxmemory'), {
    name: 'ReplyError',
    code: 'OOM',
    command: {
      name: 'evalsha',
      args: ['b1f0…', '8', JSON.stringify({ trigger: 'acme:user-created', input: userCreatedBody() })],
    },
  })
}

/** A logger that records every call, as given. */
function recordingLogger(): TriggerLogger & { calls: unknown[] } {
  const calls: unknown[] = []
  return {
    calls,
    error: (message, details) => void calls.push(['error', message, details]),
    warn: (message, details) => void calls.push(['warn', message, details]),
  }
}

describe('errorSummary', () => {
  it("keeps an error's name, message and code, and drops everything else (ioredis's command.args)", () => {
    const summary = errorSummary(redisError())
    expect(summary).toEqual({
      name: 'ReplyError',
      message: 'OOM command not allowed when used memory > maxmemory',
      code: 'OOM',
    })
    expect(JSON.stringify(summary)).not.toContain(PAYLOAD_SECRET)
  })

  it('leaves out a code that is not a string, and summarises what is not an Error', () => {
    const numbered = Object.assign(new TypeError('bad'), { code: 42 })
    expect(errorSummary(numbered)).toEqual({ name: 'TypeError', message: 'bad' })
    expect(errorSummary('connection lost')).toEqual({ message: 'connection lost' })
    expect(errorSummary({ command: { args: [PAYLOAD_SECRET] } })).toEqual({ message: 'unknown error' })
    expect(errorSummary(undefined)).toEqual({ message: 'unknown error' })
  })
})

describe('what the receiver logs when its queue fails', () => {
  it('an enqueue that rejects with a Redis error: 503, and the log holds its summary, not the payload', async () => {
    const queue = memoryQueue({ behaviour: 'reject' })
    queue.failure = redisError()
    // What the old code logged would have shown the payload: the error serialises its arguments.
    expect(JSON.stringify({ error: queue.failure })).toContain(PAYLOAD_SECRET)
    const logger = recordingLogger()
    const receiver = createTriggerReceiver({ auth, logger, queue, onRejected: () => {} }).on(
      userCreated,
      () => {},
    )

    const reply = await receiver.handle(post('user-created', userCreatedBody()))
    expect(reply.status).toBe(503)
    expect(JSON.parse(reply.body).error.code).toBe('QUEUE_UNAVAILABLE')
    expect(logger.calls).toEqual([
      [
        'error',
        'The queue could not store a acme:user-created delivery',
        {
          trigger: 'acme:user-created',
          error: {
            name: 'ReplyError',
            message: 'OOM command not allowed when used memory > maxmemory',
            code: 'OOM',
          },
        },
      ],
    ])
    expect(JSON.stringify(logger.calls)).not.toContain(PAYLOAD_SECRET)
    expect(JSON.stringify(logger.calls)).not.toContain('u-1')
  })

  it('a queue whose close() rejects with a Redis error: logged as its summary', async () => {
    const queue = memoryQueue()
    queue.close = async () => {
      throw redisError()
    }
    const logger = recordingLogger()
    const receiver = createTriggerReceiver({ auth, logger, queue }).on(userCreated, () => {})
    await receiver.close()
    expect(logger.calls).toEqual([
      ['error', 'The queue failed to close', { error: expect.objectContaining({ code: 'OOM' }) }],
    ])
    expect(JSON.stringify(logger.calls)).not.toContain(PAYLOAD_SECRET)
  })
})
