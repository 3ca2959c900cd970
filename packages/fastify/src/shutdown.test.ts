import { createTriggerReceiver } from '@isc-triggers/core'
import {
  bearer,
  createGate,
  DECISION,
  identityCreatedSample,
  preApprovalSample,
  TEST_TOKEN,
} from '@isc-triggers-internal/test-utils'
import Fastify from 'fastify'
import { expect, it, vi } from 'vitest'
import { triggersPlugin } from './plugin.js'

// app.close() closes the receiver (the plugin's onClose hook): new deliveries are refused, and
// the app waits for work the receiver still runs after a reply was sent.

const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }

it('app.close() closes the receiver: a delivery after it is refused with 503', async () => {
  const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false })
  const handler = vi.fn()
  receiver.on('idn:identity-created', handler)
  const app = Fastify()
  await app.register(triggersPlugin, { receiver, prefix: '/isc/triggers' })
  await app.ready()
  await app.close()
  const reply = await receiver.handle({
    method: 'POST',
    headers,
    body: JSON.stringify(identityCreatedSample()),
    trigger: 'identity-created',
  })
  expect(reply.status).toBe(503)
  expect(handler).not.toHaveBeenCalled()
})

it('app.close() waits for a handler still running after its reply (SYNC past its budget)', async () => {
  const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false })
  const gate = createGate()
  const events: string[] = []
  const fallback = { ...DECISION, approved: false }
  receiver.on(
    'idn:access-request-pre-approval',
    async () => {
      events.push('handler started')
      await gate.promise
      events.push('handler finished')
      return DECISION
    },
    // The budget only decides when the fallback is sent; nothing below depends on its length.
    { timeoutMs: 20, fallback },
  )
  const app = Fastify()
  await app.register(triggersPlugin, { receiver, prefix: '/isc/triggers' })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const response = await fetch(`${url}/isc/triggers/access-request-pre-approval`, {
    method: 'POST',
    headers,
    body: JSON.stringify(preApprovalSample()),
  })
  expect([response.status, await response.json()]).toEqual([200, fallback])

  const receiverClosing = new Promise<void>((resolve) => {
    const close = receiver.close.bind(receiver)
    vi.spyOn(receiver, 'close').mockImplementation((options) => {
      resolve()
      return close(options)
    })
  })
  const appClosed = app.close().then(() => events.push('app closed'))
  // The hook runs while the handler is held, so app.close() cannot have finished yet.
  await Promise.race([receiverClosing, appClosed])
  expect(receiver.close).toHaveBeenCalledOnce()
  expect(events).toEqual(['handler started'])
  gate.open()
  await appClosed
  expect(events).toEqual(['handler started', 'handler finished', 'app closed'])
})

it('a delivery in flight when app.close() starts is answered, its handler run to the end', async () => {
  const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false })
  const started = createGate()
  const gate = createGate()
  const events: string[] = []
  receiver.on('idn:identity-created', async () => {
    started.open()
    await gate.promise
    events.push('handler finished')
  })
  const app = Fastify()
  const closing = createGate()
  app.addHook('preClose', async () => closing.open())
  await app.register(triggersPlugin, { receiver, prefix: '/isc/triggers' })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const response = fetch(`${url}/isc/triggers/identity-created`, {
    method: 'POST',
    headers,
    body: JSON.stringify(identityCreatedSample()),
  })
  await started.promise
  const appClosed = app.close().then(() => events.push('app closed'))
  await closing.promise
  gate.open()
  const reply = await response
  expect([reply.status, await reply.json()]).toEqual([200, {}])
  await appClosed
  expect(events).toEqual(['handler finished', 'app closed'])
})
