import { type Logger, pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { TEST_TOKEN } from '../fixtures.test-helper.js'
import {
  identityBody,
  lineLogger,
  PAYLOAD_VALUE,
  preApprovalDelivery,
  testReceiver,
} from '../observability/channel-recorder.test-helper.js'
import { post } from '../queue/queue-fixtures.test-helper.js'
import type { TriggerLogger } from '../types.js'
import { resolveLogger } from './logger.js'

// The logger option: pino and bunyan are called fields first (their error serialiser reads
// `err`), console-style loggers message first; lines carry the trigger and invocation ids, never a
// payload value or a secret.

const INVOCATION = '2a4c6e8f-1b3d-4f5a-9c7e-0d2f4a6c8e1b'
const SECRET = 'log-secret-5e7a'

afterEach(() => {
  vi.restoreAllMocks()
})

/** A real pino logger writing JSON lines into an array. */
function capturedPino(level = 'warn') {
  const lines: string[] = []
  const logger = pino({ level }, { write: (line: string) => void lines.push(line) })
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) }
}

/** A SYNC pre-approval delivery for INVOCATION, with a payload value and the callback secret. */
function syncDelivery() {
  return preApprovalDelivery(INVOCATION, { secret: SECRET })
}

function failingReceiver(logger: TriggerLogger) {
  const receiver = testReceiver({ logger })
  receiver.on('idn:access-request-pre-approval', () => {
    throw new Error('inventory down')
  })
  return receiver
}

describe('pino', () => {
  it.each([
    ['a root logger', (logger: Logger): TriggerLogger => logger],
    ['a child logger', (logger: Logger): TriggerLogger => logger.child({ component: 'isc' })],
  ])(
    '%s: a handler failure is one JSON line with msg, trigger, invocationId and err',
    async (_name, pick) => {
      const { logger, lines, parsed } = capturedPino()
      const reply = await failingReceiver(pick(logger)).handle(syncDelivery())
      expect(reply.status).toBe(500)
      expect(lines).toHaveLength(1)
      const [line] = parsed()
      expect(line).toMatchObject({
        level: 50,
        msg: 'The handler of idn:access-request-pre-approval failed',
        trigger: 'idn:access-request-pre-approval',
        invocationId: INVOCATION,
        err: { type: 'Error', message: 'inventory down' },
      })
      expect(line).not.toHaveProperty('error')
      for (const secret of [PAYLOAD_VALUE, SECRET, TEST_TOKEN]) expect(lines[0]).not.toContain(secret)
    },
  )

  it('a refusal is a warn line with its fields, not format arguments', async () => {
    const { logger, parsed } = capturedPino()
    const receiver = testReceiver({ logger })
    receiver.on('idn:identity-created', () => {})
    const reply = await receiver.handle(
      post('identity-created', { identity: { id: 1, name: PAYLOAD_VALUE } }),
    )
    expect(reply.status).toBe(400)
    const [line] = parsed()
    expect(line).toMatchObject({
      level: 40,
      msg: 'Refused a delivery: 400 INVALID_PAYLOAD',
      trigger: 'identity-created',
      status: 400,
      code: 'INVALID_PAYLOAD',
    })
    expect(JSON.stringify(line)).not.toContain(PAYLOAD_VALUE)
  })

  it('nothing below its level: a successful delivery writes nothing', async () => {
    const { logger, lines } = capturedPino()
    const receiver = testReceiver({ logger })
    receiver.on('idn:identity-created', () => {})
    expect((await receiver.handle(post('identity-created', identityBody()))).status).toBe(200)
    expect(lines).toEqual([])
  })
})

describe('other loggers', () => {
  it('a console-style logger gets (message, fields), the error under `error`', async () => {
    const logger = lineLogger()
    expect((await failingReceiver(logger).handle(syncDelivery())).status).toBe(500)
    expect(logger.lines).toHaveLength(1)
    const [line] = logger.lines
    expect(line).toMatchObject({
      level: 'error',
      message: 'The handler of idn:access-request-pre-approval failed',
      details: { trigger: 'idn:access-request-pre-approval', invocationId: INVOCATION },
    })
    expect(line?.details?.error).toMatchObject({ message: 'inventory down' })
  })

  it('a bunyan-style logger (child() and a fields object) is called fields first, error as err', () => {
    const calls: unknown[][] = []
    const bunyanLike = {
      fields: { name: 'app' },
      child: () => bunyanLike,
      error: (...args: unknown[]) => void calls.push(args),
      warn: (...args: unknown[]) => void calls.push(args),
    }
    const error = new Error('boom')
    resolveLogger(bunyanLike as unknown as TriggerLogger).error('failed', { trigger: 't', error })
    resolveLogger(bunyanLike as unknown as TriggerLogger).warn('refused')
    expect(calls).toEqual([
      [{ trigger: 't', err: error }, 'failed'],
      [{}, 'refused'],
    ])
  })

  it('a logger with child() but neither bindings() nor fields (winston) is called message first', () => {
    const calls: unknown[][] = []
    const winstonLike = {
      child: () => winstonLike,
      error: (...args: unknown[]) => void calls.push(args),
      warn: (...args: unknown[]) => void calls.push(args),
    }
    resolveLogger(winstonLike as unknown as TriggerLogger).error('failed', { trigger: 't' })
    expect(calls).toEqual([['failed', { trigger: 't' }]])
  })

  it('the default is console (prefixed message, then the fields); false is silent', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    resolveLogger(undefined).error('failed', { trigger: 't' })
    resolveLogger(false).error('failed', { trigger: 't' })
    expect(error.mock.calls).toEqual([['[isc-triggers] failed', { trigger: 't' }]])
  })
})
