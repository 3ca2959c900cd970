import { describe, expect, it } from 'vitest'
import { TriggerConfigError } from '../errors.js'
import { memoryQueue, turns } from '../queue/memory-queue.test-helper.js'
import { headers, post, userCreated, userCreatedBody } from '../queue/queue-fixtures.test-helper.js'
import type { TriggerReceiverOptions, TriggerRequest } from '../receiver/receiver.js'
import {
  identityBody,
  lineLogger,
  PAYLOAD_VALUE,
  preApprovalDelivery,
  testReceiver,
} from './channel-recorder.test-helper.js'
import type { DeliveryEvent, ReceiverHooks } from './hooks.js'

// hooks.onDelivery: told once per request the receiver answers, refusals and 401s included, with
// ids, status and code, never values; a hook that throws or rejects is logged and changes nothing.

const INVOCATION = '3e1d5c7a-9b2f-4a6e-8d0c-7f1e2a3b4c5d'

function receiverTelling(
  hooks: ReceiverHooks | ReceiverHooks[],
  options: Partial<TriggerReceiverOptions> = {},
) {
  const receiver = testReceiver({ hooks, ...options })
  receiver.on('idn:identity-created', (input) => {
    if (input.identity.name === 'fail') throw new Error('downstream failed')
  })
  receiver.on('idn:access-request-pre-approval', () => ({ approved: true, comment: 'ok', approver: 'svc' }))
  return receiver
}

const syncDelivery = preApprovalDelivery(INVOCATION, { secret: 'never-in-an-event' })

const cases: [string, TriggerRequest, Partial<DeliveryEvent>][] = [
  [
    '200 fire-and-forget',
    post('identity-created', identityBody()),
    {
      trigger: 'idn:identity-created',
      type: 'fire-and-forget',
      mode: undefined,
      status: 200,
      code: undefined,
    },
  ],
  [
    '200 SYNC request-response',
    syncDelivery,
    {
      trigger: 'idn:access-request-pre-approval',
      type: 'request-response',
      mode: 'sync',
      invocationId: INVOCATION,
      status: 200,
    },
  ],
  [
    '401',
    { ...post('identity-created', identityBody()), headers: { ...headers, authorization: 'Bearer nope' } },
    { trigger: undefined, type: undefined, status: 401, code: 'UNAUTHORIZED' },
  ],
  [
    '400',
    post('identity-created', { identity: { name: PAYLOAD_VALUE } }),
    { trigger: 'idn:identity-created', status: 400, code: 'INVALID_PAYLOAD' },
  ],
  [
    '404',
    post('no-such-trigger', identityBody()),
    { trigger: undefined, status: 404, code: 'UNKNOWN_TRIGGER' },
  ],
  [
    '500',
    post('identity-created', { ...identityBody(), identity: { type: 'IDENTITY', id: 'x', name: 'fail' } }),
    { trigger: 'idn:identity-created', status: 500, code: 'HANDLER_FAILED' },
  ],
]

describe('onDelivery', () => {
  it.each(cases)('%s: told once, with the outcome and a duration', async (_name, request, expected) => {
    const events: DeliveryEvent[] = []
    const reply = await receiverTelling({ onDelivery: (event) => void events.push(event) }).handle(request)
    await turns()
    expect(events).toHaveLength(1)
    const event = events[0] as DeliveryEvent
    expect(event).toMatchObject({ queued: false, ...expected })
    expect(event.status).toBe(reply.status)
    expect(Number.isFinite(event.durationMs) && event.durationMs >= 0).toBe(true)
    expect(Object.isFrozen(event)).toBe(true)
    expect(JSON.stringify(event)).not.toContain(PAYLOAD_VALUE)
    expect(JSON.stringify(event)).not.toContain('never-in-an-event')
  })

  it('a queued delivery: told once, queued, 200', async () => {
    const events: DeliveryEvent[] = []
    const queue = memoryQueue()
    const receiver = testReceiver({ queue, hooks: { onDelivery: (event) => void events.push(event) } })
    receiver.on(userCreated, () => {})
    expect((await receiver.handle(post('user-created', userCreatedBody()))).status).toBe(200)
    await turns()
    expect(queue.stored).toHaveLength(1)
    expect(events).toMatchObject([
      { trigger: 'acme:user-created', queued: true, status: 200, code: undefined },
    ])
  })

  it('is told after the reply is decided, for a handler that finishes later', async () => {
    const told: number[] = []
    let finished = false
    const receiver = testReceiver({ hooks: { onDelivery: (event) => void told.push(event.status) } })
    receiver.on('idn:identity-created', async () => {
      await turns(2)
      expect(told).toEqual([])
      finished = true
    })
    await receiver.handle(post('identity-created', identityBody()))
    expect(finished).toBe(true)
    expect(told).toEqual([200])
  })

  it.each([
    [
      'throws',
      () => {
        throw new Error('metrics down')
      },
    ],
    ['rejects', async () => Promise.reject(new Error('metrics down'))],
  ])(
    'a hook that %s is logged; the reply is the same and the next hooks are still told',
    async (_name, hook) => {
      const logger = lineLogger()
      const after: DeliveryEvent[] = []
      const plain = await receiverTelling([]).handle(syncDelivery)
      const reply = await receiverTelling([{ onDelivery: hook }, { onDelivery: (e) => void after.push(e) }], {
        logger,
      }).handle(syncDelivery)
      await turns()
      expect(reply).toEqual(plain)
      expect(after).toHaveLength(1)
      expect(logger.lines).toEqual([
        {
          level: 'error',
          message: 'An onDelivery hook failed; the reply was not changed',
          details: {
            trigger: 'idn:access-request-pre-approval',
            invocationId: INVOCATION,
            error: { name: 'Error', message: 'metrics down' },
          },
        },
      ])
    },
  )
})

describe('the hooks option', () => {
  it.each<[string, unknown]>([
    ['a number', 5],
    ['null in an array', [null]],
    ['a string onDelivery', { onDelivery: 'log' }],
    ['a non-function wrapHandler', [{ onDelivery: () => {} }, { wrapHandler: 1 }]],
  ])('%s is a TriggerConfigError at createTriggerReceiver', (_name, hooks) => {
    expect(() => testReceiver({ hooks: hooks as ReceiverHooks })).toThrow(TriggerConfigError)
  })

  it('an empty array, an empty object and undefined are accepted', () => {
    for (const hooks of [[], {}, undefined]) expect(() => testReceiver({ hooks })).not.toThrow()
  })
})
