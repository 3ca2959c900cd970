import { describe, expect, it } from 'vitest'
import { TriggerConfigError } from '../errors.js'
import { createTriggerReceiver } from '../index.js'
import { identityBody, lineLogger, PAYLOAD_VALUE } from '../observability/channel-recorder.test-helper.js'
import { post } from '../queue/queue-fixtures.test-helper.js'

// A custom verifier that throws (its store is down) instead of answering: the delivery gets a 500
// saying the credentials could not be checked, and the failure is logged (it was silent).
describe('auth.verify that throws', () => {
  it.each([
    [
      'synchronously',
      () => {
        throw new Error('credential store down')
      },
    ],
    [
      'asynchronously',
      async () => {
        throw new Error('credential store down')
      },
    ],
  ])('%s: 500, logged with the error summary, the handler not run', async (_how, verify) => {
    const logger = lineLogger()
    let ran = false
    const receiver = createTriggerReceiver({ auth: { type: 'custom', verify }, logger })
    receiver.on('idn:identity-created', () => {
      ran = true
    })
    const reply = await receiver.handle(post('identity-created', identityBody()))
    expect(reply.status).toBe(500)
    expect(JSON.parse(reply.body).error.message).toBe('The credentials could not be checked')
    expect(ran).toBe(false)
    expect(logger.lines).toEqual([
      expect.objectContaining({
        message: 'auth.verify failed; the delivery could not be authenticated',
        details: { error: { name: 'Error', code: undefined } },
      }),
    ])
    expect(JSON.stringify(logger.lines)).not.toContain(PAYLOAD_VALUE)
  })
})

it('a logger without error() and warn() is refused at start-up', () => {
  expect(() => createTriggerReceiver({ auth: { type: 'none' }, logger: { error() {} } as never })).toThrow(
    TriggerConfigError,
  )
})
