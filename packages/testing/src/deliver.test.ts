import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTriggerReceiver, toNodeHandler } from '@isc-triggers/core'
import { afterEach, describe, expect, it } from 'vitest'
import { deliver } from './deliver.js'
import { type FakeIsc, startFakeIsc } from './fake-isc.js'
import { sampleInput, sampleOutput } from './sample-builders.js'

// The test kit used the way a user tests their own handlers.
const token = 'kit-token'
const decision = sampleOutput('idn:access-request-pre-approval')
let isc: FakeIsc | undefined
afterEach(async () => {
  await isc?.close()
  isc = undefined
})

function service(options: { isc?: FakeIsc } = {}) {
  const seen: string[] = []
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens: [token] },
    logger: false,
    completion: { allowedCallbackOrigins: options.isc ? [options.isc.origin] : [] },
  })
  receiver.on('idn:identity-created', (input) => {
    seen.push(input.identity.name)
  })
  return { receiver, seen }
}

describe('deliver()', () => {
  it('delivers a sample to a receiver, and a custom payload', async () => {
    const { receiver, seen } = service()
    expect((await deliver(receiver, 'idn:identity-created', undefined, { bearer: token })).status).toBe(200)
    const custom = sampleInput('idn:identity-created', { identity: { name: 'Katherine Johnson' } })
    expect((await deliver(receiver, 'idn:identity-created', custom, { bearer: token })).body).toEqual({})
    expect((await deliver(receiver, 'idn:identity-created', custom, { bearer: 'wrong' })).status).toBe(401)
    expect(seen).toEqual(['Ada Lovelace', 'Katherine Johnson'])
  })

  it('delivers over HTTP to a request listener (an app) and to a URL', async () => {
    const { receiver, seen } = service()
    const app = toNodeHandler(receiver, { path: '/hooks' })
    const viaApp = await deliver(app, 'idn:identity-created', undefined, {
      bearer: token,
      mountPath: '/hooks',
    })
    expect(viaApp).toMatchObject({ status: 200, body: {} })
    expect(viaApp.headers['content-type']).toMatch(/^application\/json/)
    const server = createServer(app).listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`
    expect((await deliver(url, 'idn:identity-created', undefined, { bearer: token })).status).toBe(200)
    server.close()
    expect(seen).toHaveLength(2)
  })

  it('ASYNC: 200 {} now, the decision through the fake ISC', async () => {
    isc = await startFakeIsc()
    const { receiver } = service({ isc })
    receiver.on('idn:access-request-pre-approval', async () => decision, { mode: 'async' })
    const reply = await deliver(receiver, 'idn:access-request-pre-approval', undefined, {
      bearer: token,
      mode: 'async',
      isc,
    })
    expect(reply).toMatchObject({ status: 200, body: {} })
    const completion = await reply.completion
    expect(completion?.body).toMatchObject({ output: decision })
    expect(completion?.invocationId).toBe(reply.invocationId)
  })

  it('DYNAMIC: 202 when the handler defers, then the callback; 200 when it answers now', async () => {
    isc = await startFakeIsc()
    const { receiver } = service({ isc })
    receiver.on(
      'idn:access-request-pre-approval',
      async (input, ctx) => {
        if (input.requestedItems.length > 1) ctx.defer()
        return decision
      },
      { mode: 'dynamic' },
    )
    const now = await deliver(receiver, 'idn:access-request-pre-approval', undefined, {
      bearer: token,
      mode: 'dynamic',
      isc,
    })
    expect(now).toMatchObject({ status: 200, body: decision })
    expect(now.completion).toBeUndefined()
    const two = sampleInput('idn:access-request-pre-approval')
    two.requestedItems.push({ ...two.requestedItems[0]!, id: 'second' })
    const later = await deliver(receiver, 'idn:access-request-pre-approval', two, {
      bearer: token,
      mode: 'dynamic',
      isc,
    })
    expect(later.status).toBe(202)
    expect((await later.completion)?.body).toMatchObject({ output: decision })
  })

  it('says what is missing for an ASYNC delivery without a fake ISC', async () => {
    const { receiver } = service()
    await expect(
      deliver(receiver, 'idn:access-request-pre-approval', undefined, { mode: 'async' }),
    ).rejects.toThrow(/needs options.isc/)
  })
})

describe('deliver() and DYNAMIC deferral edge cases', () => {
  it('a handler that defers and then throws at once: 202, then { secret, error } by callback', async () => {
    isc = await startFakeIsc()
    const { receiver } = service({ isc })
    receiver.on(
      'idn:access-request-pre-approval',
      (_input, ctx) => {
        ctx.defer()
        throw new Error('downstream down')
      },
      { mode: 'dynamic' },
    )
    const reply = await deliver(receiver, 'idn:access-request-pre-approval', undefined, {
      bearer: token,
      mode: 'dynamic',
      isc,
    })
    expect(reply.status).toBe(202)
    expect((await reply.completion)?.body).toMatchObject({ error: 'The subscriber failed to decide' })
  })
})
