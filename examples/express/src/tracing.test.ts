import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base'
import request from 'supertest'
import { afterEach, expect, it } from 'vitest'
import { createApp, TRIGGER_PATH } from './server.js'
import { startTracing } from './tracing.js'

const token = 'example-test-token'
let stop: (() => Promise<void>) | undefined
afterEach(() => stop?.())

it('ISC_TRIGGERS_TRACE: each delivery becomes a span, a refused one too', async () => {
  const exporter = new InMemorySpanExporter()
  stop = startTracing(exporter)
  const { app } = createApp({ tokens: [token], log: () => {} })
  const identity = { identity: { type: 'IDENTITY', id: 'id-1', name: 'Ada Lovelace' }, attributes: {} }
  const post = (bearer: string) =>
    request(app)
      .post(`${TRIGGER_PATH}/identity-created`)
      .set('authorization', `Bearer ${bearer}`)
      .send(identity)
  await post(token).expect(200)
  await post('nope').expect(401)
  const spans = exporter.getFinishedSpans()
  expect(spans.map((span) => [span.name, span.attributes['http.response.status_code']])).toEqual([
    ['process idn:identity-created', 200],
    ['process isc-triggers', 401],
  ])
  expect(spans[0]?.attributes['isc.trigger.type']).toBe('fire-and-forget')
})
