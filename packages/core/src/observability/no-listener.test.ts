import { afterEach, describe, expect, it, vi } from 'vitest'
import { closeLoopbacks, gate, loopback, within } from '../callbacks/loopback.test-helper.js'
import { turns } from '../queue/memory-queue.test-helper.js'
import { headers, post } from '../queue/queue-fixtures.test-helper.js'
import type { TriggerReceiverOptions } from '../receiver/receiver.js'
import { openCallbackTrace } from './callback-trace.js'
import {
  identityBody,
  preApprovalDelivery,
  recordDeliveries,
  testReceiver,
} from './channel-recorder.test-helper.js'
import { callbackChannel, deliveryChannel } from './channels.js'
import { DeliveryTrace, openDeliveryTrace } from './delivery-trace.js'

// Nobody listening costs nothing: no trace is made, nothing is published, no store is entered.
// A subscriber sees only the deliveries that started after it subscribed, each whole.

afterEach(async () => {
  vi.restoreAllMocks()
  await closeLoopbacks()
})

const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const

/** Spies on every publish and runStores of both channels. */
function spyOnChannels() {
  const spies = [deliveryChannel, callbackChannel].flatMap((channel) =>
    EVENTS.flatMap((event) => [vi.spyOn(channel[event], 'publish'), vi.spyOn(channel[event], 'runStores')]),
  )
  return { calls: () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0) }
}

describe('nobody listening', () => {
  it('openDeliveryTrace and openCallbackTrace make nothing; a subscriber or an onDelivery hook makes a trace', () => {
    expect(deliveryChannel.hasSubscribers).toBe(false)
    expect(openDeliveryTrace(undefined)).toBeUndefined()
    expect(openCallbackTrace({ invocationId: 'i', triggerId: 't' }, 1, 'output')).toBeUndefined()
    expect(openDeliveryTrace(() => {})).toBeInstanceOf(DeliveryTrace)
    recordDeliveries()
    expect(openDeliveryTrace(undefined)).toBeInstanceOf(DeliveryTrace)
  })

  it('deliveries and callbacks of every kind are answered without a publish or a runStores', async () => {
    const isc = await loopback((_req, res) => res.writeHead(200).end())
    const channels = spyOnChannels()
    const completed = gate()
    const receiver = testReceiver({
      completion: { allowedCallbackOrigins: [isc.origin], onCompletion: completed.open },
    })
    receiver.on('idn:identity-created', async () => {})
    receiver.on(
      'idn:access-request-pre-approval',
      async () => ({ approved: true, comment: '', approver: 'x' }),
      {
        mode: 'async',
      },
    )
    const statuses = [
      (await receiver.handle(post('identity-created', identityBody()))).status,
      (await receiver.handle({ ...post('identity-created', {}), headers: {} })).status,
      (await receiver.handle(post('identity-created', {}))).status,
      (await receiver.handle(preApprovalDelivery('inv-1', { origin: isc.origin }))).status,
    ]
    const request = new Request('http://127.0.0.1/', {
      method: 'POST',
      headers,
      body: JSON.stringify(identityBody()),
    })
    statuses.push((await receiver.fetch(request, 'identity-created')).status)
    expect(statuses).toEqual([200, 401, 400, 200, 200])
    await within(completed.promise, 10_000, 'the callback')
    expect(channels.calls()).toBe(0)
    await receiver.close()
  })
})

describe('a subscriber that comes while a delivery runs', () => {
  it.each<[string, Partial<TriggerReceiverOptions>]>([
    ['without hooks', {}],
    ['with an onDelivery hook (the delivery has a trace, unpublished)', { hooks: { onDelivery: () => {} } }],
  ])('%s: gets nothing of that delivery, and the whole of the next one', async (_name, options) => {
    const release = gate()
    const entered = gate()
    const receiver = testReceiver(options)
    receiver.on('idn:identity-created', async () => {
      entered.open()
      await release.promise
    })
    const first = receiver.handle(post('identity-created', identityBody()))
    await within(entered.promise, 10_000, 'the handler')
    const recorder = recordDeliveries()
    release.open()
    expect((await first).status).toBe(200)
    await turns()
    expect(recorder.events).toEqual([])

    expect((await receiver.handle(post('identity-created', identityBody()))).status).toBe(200)
    expect(recorder.events.map((e) => e.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
    await receiver.close()
  })
})
