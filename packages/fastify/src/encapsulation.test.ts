import { createTriggerReceiver } from '@isc-triggers/core'
import { bearer, identityCreatedSample, TEST_TOKEN } from '@isc-triggers-internal/test-utils'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { triggersPlugin } from './plugin.js'

// The plugin is encapsulated: its content-type parser (the body left for the receiver) stays in
// its scope, and the rest of the app keeps Fastify's parsing, errors included.

const apps: { close(): Promise<unknown> }[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

/** An app with a sibling route (`/echo`) and the plugin; `bodyLimit` is Fastify's. */
async function start(options: { bodyLimit?: number } = {}) {
  const received: unknown[] = []
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens: [TEST_TOKEN] },
    logger: false,
  }).on('idn:identity-created', (input) => {
    received.push(input)
  })
  const app = Fastify(options)
  apps.push(app)
  app.post('/echo', async (request) => ({ body: request.body }))
  await app.register(triggersPlugin, { receiver, prefix: '/isc/triggers' })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(TEST_TOKEN), ...headers },
      body,
    }).then(async (response) => ({ status: response.status, json: await response.json() }))
  return { post, received }
}

describe('a sibling route of the app', () => {
  it("keeps Fastify's JSON parsing", async () => {
    const { post } = await start()
    expect(await post('/echo', '{"a":1}')).toEqual({ status: 200, json: { body: { a: 1 } } })
  })

  it("keeps Fastify's errors: malformed JSON and an unsupported media type", async () => {
    const { post } = await start()
    const malformed = await post('/echo', '{"a":')
    expect(malformed).toMatchObject({ status: 400, json: { code: 'FST_ERR_CTP_INVALID_JSON_BODY' } })
    const form = await post('/echo', 'a=1', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(form).toMatchObject({ status: 415, json: { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' } })
  })

  it("keeps Fastify's bodyLimit", async () => {
    const { post } = await start({ bodyLimit: 1024 })
    const large = await post('/echo', JSON.stringify({ padding: 'x'.repeat(4096) }))
    expect(large).toMatchObject({ status: 413, json: { code: 'FST_ERR_CTP_BODY_TOO_LARGE' } })
  })
})

describe('the trigger routes', () => {
  it("read the body under the receiver's limit, not Fastify's bodyLimit", async () => {
    const { post, received } = await start({ bodyLimit: 1024 })
    const delivery = { ...identityCreatedSample(), attributes: { padding: 'x'.repeat(4096) } }
    expect(await post('/isc/triggers/identity-created', JSON.stringify(delivery))).toEqual({
      status: 200,
      json: {},
    })
    expect(received).toEqual([delivery])
  })

  it("answer Fastify's malformed JSON in the receiver's format", async () => {
    const { post } = await start()
    const reply = await post('/isc/triggers/identity-created', '{"identity":')
    expect(reply).toEqual({
      status: 400,
      json: { error: { code: 'INVALID_JSON', message: expect.any(String) } },
    })
  })

  it("leave a Content-Type header Fastify cannot parse to Fastify's 415 (README)", async () => {
    const { post, received } = await start()
    const reply = await post('/isc/triggers/identity-created', JSON.stringify(identityCreatedSample()), {
      'content-type': 'json',
    })
    expect(reply).toMatchObject({ status: 415, json: { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' } })
    expect(received).toHaveLength(0)
  })

  it("leave an app-wide reply serializer out of the receiver's replies", async () => {
    const receiver = createTriggerReceiver({ auth: { type: 'none' }, logger: false }).on(
      'idn:identity-created',
      () => {},
    )
    const app = Fastify()
    apps.push(app)
    app.setReplySerializer(() => '"serialised by the app"')
    await app.register(triggersPlugin, { receiver, prefix: '/isc/triggers' })
    const reply = await app.inject({
      method: 'POST',
      url: '/isc/triggers/identity-created',
      payload: identityCreatedSample(),
    })
    expect([reply.statusCode, reply.body]).toEqual([200, '{}'])
  })
})
