import { AsyncLocalStorage } from 'node:async_hooks'
import { tracingChannel } from 'node:diagnostics_channel'
import { afterEach, describe, expect, it } from 'vitest'
import { toNodeHandler } from '../node/node-handler.js'
import { headers, post } from '../queue/queue-fixtures.test-helper.js'
import { identityBody, postInTwoChunks, serve, testReceiver } from './channel-recorder.test-helper.js'
import type { DeliveryTraceContext } from './channels.js'

// What a tracer (@isc-triggers/otel) relies on: a store bound to the delivery channel's `start`
// is entered around the delivery, so the handler runs inside it, whether the body was in memory
// or still streaming when the delivery started.

const als = new AsyncLocalStorage<{ context: DeliveryTraceContext }>()
const start = tracingChannel<unknown, DeliveryTraceContext>('isc-triggers:delivery').start
const closers: (() => Promise<unknown>)[] = []

afterEach(async () => {
  start.unbindStore(als)
  for (const close of closers.splice(0)) await close()
})

/** A receiver whose handler records the store it runs in (before and after an await). */
function receiverSeeingStore() {
  const seen: (DeliveryTraceContext | undefined)[] = []
  const receiver = testReceiver()
  receiver.on('idn:identity-created', async () => {
    seen.push(als.getStore()?.context)
    await Promise.resolve()
    seen.push(als.getStore()?.context)
  })
  closers.push(() => receiver.close())
  return { receiver, seen }
}

describe('a store bound with start.bindStore', () => {
  it('is the store inside the handler, for a body in memory (handle())', async () => {
    start.bindStore(als, (context) => ({ context }))
    const { receiver, seen } = receiverSeeingStore()
    expect((await receiver.handle(post('identity-created', identityBody()))).status).toBe(200)
    expect(seen).toHaveLength(2)
    expect(seen[0]).toBeDefined()
    expect(seen[1]).toBe(seen[0])
    // The very context the channel published: the trigger resolved, the status set at the end.
    expect(seen[0]).toMatchObject({ trigger: 'idn:identity-created', status: 200 })
  })

  it('is the store inside the handler for a body still streaming (toNodeHandler on node:http)', async () => {
    let entered: () => void = () => {}
    const started = new Promise<void>((resolve) => {
      entered = resolve
    })
    start.bindStore(als, (context) => {
      entered()
      return { context }
    })
    const { receiver, seen } = receiverSeeingStore()
    const server = await serve(toNodeHandler(receiver))
    closers.push(server.close)
    const body = JSON.stringify(identityBody())
    const reply = await postInTwoChunks(`${server.origin}/identity-created`, headers, body, () => started)
    expect(reply.status).toBe(200)
    expect(seen).toHaveLength(2)
    expect(seen[0]).toMatchObject({ trigger: 'idn:identity-created' })
    expect(seen[1]).toBe(seen[0])
  })

  it('is the store inside the handler for a Web Request (receiver.fetch())', async () => {
    start.bindStore(als, (context) => ({ context }))
    const { receiver, seen } = receiverSeeingStore()
    const request = new Request('http://127.0.0.1/', {
      method: 'POST',
      headers,
      body: JSON.stringify(identityBody()),
    })
    expect((await receiver.fetch(request, 'identity-created')).status).toBe(200)
    expect(seen[0]).toMatchObject({ trigger: 'idn:identity-created' })
    expect(seen[1]).toBe(seen[0])
  })

  it('two deliveries at once each see their own context', async () => {
    start.bindStore(als, (context) => ({ context }))
    const { receiver, seen } = receiverSeeingStore()
    await Promise.all([
      receiver.handle(post('identity-created', identityBody())),
      receiver.handle(post('identity-created', identityBody())),
    ])
    expect(seen).toHaveLength(4)
    expect(new Set(seen).size).toBe(2)
    expect(seen.every((context) => context !== undefined)).toBe(true)
  })
})
