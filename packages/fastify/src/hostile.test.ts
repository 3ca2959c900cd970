import { PassThrough, Readable } from 'node:stream'
import { createTriggerReceiver, type TriggerRejection } from '@isc-triggers/core'
import { bearer, identityCreatedSample, TEST_TOKEN } from '@isc-triggers-internal/test-utils'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { triggersPlugin } from './plugin.js'

// Hostile apps around the plugin: what the rest of a real Fastify app does to a request before the
// plugin's handler runs must not cost a delivery. ISC never redelivers a fire-and-forget event.

const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

/** A receiver that records its handler's inputs and its refusals. */
function recordingReceiver() {
  const calls: unknown[] = []
  const rejected: TriggerRejection[] = []
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens: [TEST_TOKEN] },
    logger: false,
    onRejected: (rejection) => void rejected.push(rejection),
  }).on('idn:identity-created', (input) => {
    calls.push(input)
  })
  return { receiver, calls, rejected }
}

/** The app after `arrange` added its hooks and plugins, with the trigger plugin, listening. */
async function start(arrange: (app: FastifyInstance) => void) {
  const { receiver, calls, rejected } = recordingReceiver()
  const app = Fastify()
  apps.push(app)
  arrange(app)
  await app.register(triggersPlugin, { receiver, prefix: '/isc/triggers' })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/isc/triggers/identity-created`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(TEST_TOKEN), ...headers },
      body,
    }).then(async (response) => ({ status: response.status, json: await response.json() }))
  return { post, calls, rejected }
}

const delivery = identityCreatedSample()
const body = JSON.stringify(delivery)

/** What a webhook app adds for signature checks: the raw body kept, Fastify given a copy. */
function keepRawBodyAndHandOnACopy(app: FastifyInstance) {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const chunks: Buffer[] = []
    for await (const chunk of payload) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks)
    Object.assign(request, { rawBody: raw })
    return Readable.from([raw])
  })
}

/**
 * What fastify-raw-body does with its defaults (`global: true`): on every route but GET, a route
 * preParsing hook reads the payload beside whoever parses it, and keeps it as `request.rawBody`.
 */
function readEveryBodyBeside(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    if (route.method === 'GET') return
    const hook = (request: FastifyRequest, _reply: unknown, payload: Readable, done: DoneWith) => {
      let text = ''
      payload.on('data', (chunk: Buffer) => {
        text += chunk
      })
      payload.on('end', () => Object.assign(request, { rawBody: text }))
      done(null, payload)
    }
    route.preParsing = [route.preParsing ?? []].flat().concat(hook as never)
  })
}
type DoneWith = (error: null, payload: Readable) => void

describe("the body as the app's preParsing hooks leave it", () => {
  it('a hook that keeps the raw body and hands Fastify a copy: delivered from the copy', async () => {
    const { post, calls, rejected } = await start(keepRawBodyAndHandOnACopy)
    expect(await post(body)).toEqual({ status: 200, json: {} })
    expect(calls).toEqual([delivery])
    expect(rejected).toEqual([])
  })

  it("a copy that is malformed JSON: the receiver's 400, and onRejected gets its bytes", async () => {
    const { post, rejected } = await start(keepRawBodyAndHandOnACopy)
    const reply = await post('{"identity":')
    expect(reply).toMatchObject({ status: 400, json: { error: { code: 'INVALID_JSON' } } })
    expect(rejected.map(({ code, body }) => [code, Buffer.from(body).toString()])).toEqual([
      ['INVALID_JSON', '{"identity":'],
    ])
  })

  it('a hook that passes the stream on through a PassThrough (metering, tracing): delivered', async () => {
    const { post, calls } = await start((app) =>
      app.addHook('preParsing', async (_request, _reply, payload) => payload.pipe(new PassThrough())),
    )
    expect(await post(body)).toEqual({ status: 200, json: {} })
    expect(calls).toEqual([delivery])
  })

  it("a plugin reading every route's body beside Fastify (fastify-raw-body's default), and an async preHandler: delivered", async () => {
    const { post, calls, rejected } = await start((app) => {
      readEveryBodyBeside(app)
      app.addHook('preHandler', async () => {
        await new Promise((resolve) => setImmediate(resolve))
      })
    })
    // Large enough to arrive in many chunks, some of them while the preHandler waits.
    const large = { ...delivery, attributes: { ...delivery.attributes, padding: 'x'.repeat(512 * 1024) } }
    expect(await post(JSON.stringify(large))).toEqual({ status: 200, json: {} })
    expect(calls).toEqual([large])
    expect(rejected).toEqual([])
  })
})

describe('bodies the receiver refuses reach onRejected, in its format', () => {
  it.each([
    ['text/plain', body],
    ['application/x-www-form-urlencoded', 'identity=1'],
    ['application/json; charset=latin1', body],
  ])('%s → 415', async (contentType, sent) => {
    const { post, rejected } = await start(() => {})
    const reply = await post(sent, { 'content-type': contentType })
    expect(reply).toMatchObject({ status: 415, json: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } })
    expect(rejected.map((rejection) => Buffer.from(rejection.body).toString())).toEqual([sent])
  })
})
