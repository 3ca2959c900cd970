import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { once } from 'node:events'
import { createServer, type IncomingMessage, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { deliver, sampleInput, sampleOutput } from '@isc-triggers/testing'
import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import type { InstrumentTriggersOptions } from './index.js'
import {
  type Listener,
  makeTelemetry,
  parentOf,
  type Served,
  type Telemetry,
  TOKEN,
  useHarness,
} from './telemetry.test-helper.js'

// Real deliveries (a receiver on node:http, requests with fetch) through the instrumentation, read
// back from the OpenTelemetry SDK's in-memory exporter and a metric reader.

const DURATION = 'isc_triggers.delivery.duration'
const ATTEMPTS = 'isc_triggers.callback.attempts'
const IDENTITY_CREATED = 'idn:identity-created'
const PRE_APPROVAL = 'idn:access-request-pre-approval'

const h = useHarness()
const instrument = (options?: InstrumentTriggersOptions) => h.instrument(options)
const served = (...args: Parameters<typeof h.serve>) => h.serve(...args)
const fakeIsc = (...args: Parameters<typeof h.fakeIsc>) => h.fakeIsc(...args)

/** A receiver with a fire-and-forget handler and an ASYNC request-response one. */
function withHandlers(handler: (input: unknown) => unknown = () => {}) {
  return (receiver: Served['receiver']) => {
    receiver.on(IDENTITY_CREATED, handler)
    receiver.on(PRE_APPROVAL, () => sampleOutput(PRE_APPROVAL), { mode: 'async' })
  }
}

const only = (spans: ReadableSpan[], kind?: SpanKind): ReadableSpan => {
  const matching = kind === undefined ? spans : spans.filter((span) => span.kind === kind)
  expect(matching).toHaveLength(1)
  return matching[0] as ReadableSpan
}

describe('one span and one histogram point per delivery', () => {
  it('200 fire-and-forget: a CONSUMER span named after the trigger, status UNSET, a point in seconds', async () => {
    const server = await served({}, withHandlers())
    instrument()
    const before = performance.now()
    const reply = await server.post('identity-created', sampleInput(IDENTITY_CREATED))
    const wall = (performance.now() - before) / 1000
    expect(reply.status).toBe(200)
    const span = only(await h.telemetry.waitForSpans(1))
    expect(span.name).toBe('process idn:identity-created')
    expect(span.kind).toBe(SpanKind.CONSUMER)
    expect(span.instrumentationScope.name).toBe('@isc-triggers/otel')
    expect(span.attributes).toEqual({
      'messaging.system': 'sailpoint.isc',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': IDENTITY_CREATED,
      'isc.trigger.id': IDENTITY_CREATED,
      'isc.trigger.type': 'fire-and-forget',
      'http.response.status_code': 200,
    })
    expect(span.status.code).toBe(SpanStatusCode.UNSET)
    expect(parentOf(span)).toBeUndefined()

    const [metric] = (await h.telemetry.allMetrics()) as { descriptor: { name: string; unit: string } }[]
    expect(metric?.descriptor).toMatchObject({ name: DURATION, unit: 's' })
    const points = await h.telemetry.points(DURATION)
    expect(points).toEqual([
      {
        attributes: { 'isc.trigger.id': IDENTITY_CREATED, 'http.response.status_code': 200 },
        value: expect.objectContaining({ count: 1 }),
      },
    ])
    // Seconds, not milliseconds: the point is recorded as the reply is written, in this process,
    // so it lies within the time the test waited for the reply.
    const recorded = (points[0]?.value as { sum: number } | undefined)?.sum
    expect(recorded).toBeGreaterThan(0)
    expect(recorded).toBeLessThanOrEqual(wall)
  })

  it('401: one span without a trigger id, status code 401, not an ERROR; a point without a trigger', async () => {
    const server = await served({}, withHandlers())
    instrument()
    const reply = await server.post('identity-created', sampleInput(IDENTITY_CREATED), 'wrong-token')
    expect(reply.status).toBe(401)
    const span = only(await h.telemetry.waitForSpans(1))
    expect(span.name).toBe('process isc-triggers')
    expect(span.attributes['isc.trigger.id']).toBeUndefined()
    expect(span.attributes['messaging.destination.name']).toBeUndefined()
    expect(span.attributes['http.response.status_code']).toBe(401)
    expect(span.attributes['error.type']).toBe('UNAUTHORIZED')
    expect(span.status.code).toBe(SpanStatusCode.UNSET)
    expect(await h.telemetry.points(DURATION)).toEqual([
      { attributes: { 'http.response.status_code': 401 }, value: expect.objectContaining({ count: 1 }) },
    ])
  })

  it('400 schema failure: error.type INVALID_PAYLOAD, status code 400, not an ERROR', async () => {
    const server = await served({}, withHandlers())
    instrument()
    const reply = await server.post('identity-created', { identity: { name: 42 } })
    expect(reply.status).toBe(400)
    const span = only(await h.telemetry.waitForSpans(1))
    expect(span.attributes).toMatchObject({
      'isc.trigger.id': IDENTITY_CREATED,
      'error.type': 'INVALID_PAYLOAD',
      'http.response.status_code': 400,
    })
    expect(span.status.code).toBe(SpanStatusCode.UNSET)
  })

  it('500 handler failure: span status ERROR with the error code', async () => {
    const server = await served(
      {},
      withHandlers(() => {
        throw new Error('boom')
      }),
    )
    instrument()
    const reply = await server.post('identity-created', sampleInput(IDENTITY_CREATED))
    expect(reply.status).toBe(500)
    const span = only(await h.telemetry.waitForSpans(1))
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'HANDLER_FAILED' })
    expect(span.attributes).toMatchObject({
      'error.type': 'HANDLER_FAILED',
      'http.response.status_code': 500,
    })
    expect(await h.telemetry.points(DURATION)).toEqual([
      {
        attributes: { 'isc.trigger.id': IDENTITY_CREATED, 'http.response.status_code': 500 },
        value: expect.objectContaining({ count: 1 }),
      },
    ])
  })
})

describe('sampling', () => {
  it('a delivery the sampler drops still gets its histogram point; its handler spans are dropped too', async () => {
    const exporter = new InMemorySpanExporter()
    const tracerProvider = new BasicTracerProvider({
      sampler: new AlwaysOffSampler(),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    })
    const server = await served(
      {},
      withHandlers(() => tracerProvider.getTracer('user-code').startActiveSpan('user work', (s) => s.end())),
    )
    instrument({ tracerProvider, meterProvider: h.telemetry.meterProvider })
    expect((await server.post('identity-created', sampleInput(IDENTITY_CREATED))).status).toBe(200)
    expect(exporter.getFinishedSpans()).toEqual([])
    expect(await h.telemetry.points(DURATION)).toEqual([
      {
        attributes: { 'isc.trigger.id': IDENTITY_CREATED, 'http.response.status_code': 200 },
        value: expect.objectContaining({ count: 1 }),
      },
    ])
  })
})

describe('where the delivery span sits in a trace', () => {
  /** Runs the node handler inside a SERVER span, as HTTP server instrumentation would. */
  function serverSpan(entered?: () => void): Listener {
    return (_req, res, handler) => {
      const tracer = h.telemetry.tracerProvider.getTracer('test-http')
      const span = tracer.startSpan('POST /isc/triggers', { kind: SpanKind.SERVER })
      res.on('finish', () => span.end())
      context.with(trace.setSpan(context.active(), span), handler)
      entered?.()
    }
  }

  /** A handler that starts its own span, after an await, with startActiveSpan. */
  const userWork = async () => {
    await new Promise((resolve) => setImmediate(resolve))
    const tracer = h.telemetry.tracerProvider.getTracer('user-code')
    await tracer.startActiveSpan('user work', async (span) => {
      await Promise.resolve()
      span.end()
    })
  }

  function family(spans: ReadableSpan[]) {
    const server = only(spans, SpanKind.SERVER)
    const delivery = only(spans, SpanKind.CONSUMER)
    const user = only(spans, SpanKind.INTERNAL)
    return { server, delivery, user }
  }

  it("is the server span's child, and the parent of a span the handler starts", async () => {
    const server = await served({}, withHandlers(userWork), serverSpan())
    instrument()
    expect((await server.post('identity-created', sampleInput(IDENTITY_CREATED))).status).toBe(200)
    const spans = family(await h.telemetry.waitForSpans(3))
    expect(parentOf(spans.delivery)).toBe(spans.server.spanContext().spanId)
    expect(parentOf(spans.user)).toBe(spans.delivery.spanContext().spanId)
    expect(new Set(Object.values(spans).map((s) => s.spanContext().traceId)).size).toBe(1)
  })

  it('also when the body is streamed: the handler runs after the last chunk arrives', async () => {
    let arrived: () => void = () => {}
    const requestEntered = new Promise<void>((resolve) => {
      arrived = resolve
    })
    const server = await served(
      {},
      withHandlers(userWork),
      serverSpan(() => arrived()),
    )
    instrument()
    const body = JSON.stringify(sampleInput(IDENTITY_CREATED))
    const half = Math.floor(body.length / 2)
    const post = request(`${server.url}/identity-created`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${TOKEN}`,
        'content-length': Buffer.byteLength(body),
      },
    })
    post.write(body.slice(0, half))
    post.flushHeaders()
    await requestEntered // the receiver is reading the body: the rest is sent only now
    post.end(body.slice(half))
    const [response] = (await once(post, 'response')) as [IncomingMessage]
    response.resume()
    expect(response.statusCode).toBe(200)
    const spans = family(await h.telemetry.waitForSpans(3))
    expect(parentOf(spans.delivery)).toBe(spans.server.spanContext().spanId)
    expect(parentOf(spans.user)).toBe(spans.delivery.spanContext().spanId)
  })
})

describe('ASYNC request-response: the delivery span, then one CLIENT span per callback attempt', () => {
  it('a 503 then a 204: two callback spans under the delivery span (retry, completed), counted by outcome', async () => {
    const isc = await fakeIsc()
    const server = await served(
      { completion: { allowedCallbackOrigins: [isc.origin], retry: { baseDelayMs: 1, maxDelayMs: 5 } } },
      withHandlers(),
    )
    instrument()
    expect((await server.post('identity-created', sampleInput(IDENTITY_CREATED))).status).toBe(200)
    isc.failNext(1, 503)
    const delivered = await deliver(server.url, PRE_APPROVAL, undefined, {
      bearer: TOKEN,
      mode: 'async',
      isc,
    })
    expect(delivered.status).toBe(200)
    await delivered.completion
    const spans = await h.telemetry.waitForSpans(4)
    const [fireAndForget, requestResponse] = spans.filter((s) => s.kind === SpanKind.CONSUMER)
    expect(fireAndForget?.attributes['isc.trigger.type']).toBe('fire-and-forget')
    expect(requestResponse?.name).toBe(`process ${PRE_APPROVAL}`)
    expect(requestResponse?.attributes).toMatchObject({
      'isc.trigger.id': PRE_APPROVAL,
      'isc.trigger.type': 'request-response',
      'isc.response_mode': 'async',
      'isc.invocation.id': delivered.invocationId,
      'messaging.message.id': delivered.invocationId,
      'http.response.status_code': 200,
    })
    expect(fireAndForget?.attributes['isc.response_mode']).toBeUndefined()

    const callbacks = spans.filter((s) => s.kind === SpanKind.CLIENT)
    expect(callbacks.map((s) => s.name)).toEqual([`callback ${PRE_APPROVAL}`, `callback ${PRE_APPROVAL}`])
    expect(callbacks.map((s) => s.attributes)).toEqual([
      {
        'isc.trigger.id': PRE_APPROVAL,
        'isc.invocation.id': delivered.invocationId,
        'isc.callback.attempt': 1,
        'isc.callback.outcome': 'retry',
        'http.response.status_code': 503,
        'isc.callback.decision': 'output',
      },
      {
        'isc.trigger.id': PRE_APPROVAL,
        'isc.invocation.id': delivered.invocationId,
        'isc.callback.attempt': 2,
        'isc.callback.outcome': 'completed',
        'http.response.status_code': 204,
        'isc.callback.decision': 'output',
      },
    ])
    for (const callback of callbacks) {
      expect(parentOf(callback)).toBe(requestResponse?.spanContext().spanId)
      expect(callback.spanContext().traceId).toBe(requestResponse?.spanContext().traceId)
      expect(callback.status.code).toBe(SpanStatusCode.UNSET)
    }

    const attempts = await h.telemetry.points(ATTEMPTS)
    expect(attempts).toHaveLength(2)
    expect(attempts).toEqual(
      expect.arrayContaining([
        { attributes: { 'isc.callback.outcome': 'retry', 'isc.trigger.id': PRE_APPROVAL }, value: 1 },
        { attributes: { 'isc.callback.outcome': 'completed', 'isc.trigger.id': PRE_APPROVAL }, value: 1 },
      ]),
    )
  })

  it("runs the callback's HTTP request in the attempt span's context (where fetch instrumentation looks)", async () => {
    // What @opentelemetry/instrumentation-undici does: read the active context when undici
    // publishes a request's creation, and make the HTTP CLIENT span its child.
    const active: (string | undefined)[] = []
    const onRequest = () => active.push(trace.getSpan(context.active())?.spanContext().spanId)
    subscribe('undici:request:create', onRequest)
    h.after(() => unsubscribe('undici:request:create', onRequest))
    const isc = await fakeIsc()
    const server = await served({ completion: { allowedCallbackOrigins: [isc.origin] } }, withHandlers())
    instrument()
    const delivered = await deliver(server.url, PRE_APPROVAL, undefined, {
      bearer: TOKEN,
      mode: 'async',
      isc,
    })
    await delivered.completion
    const callback = only(await h.telemetry.waitForSpans(2), SpanKind.CLIENT)
    // The test's own fetch (the delivery) ran outside any span; the callback's ran in the attempt's.
    expect(active).toEqual([undefined, callback.spanContext().spanId])
  })

  it('a rejected attempt (ISC answers 400) is an ERROR span', async () => {
    const isc = await fakeIsc()
    const server = await served({ completion: { allowedCallbackOrigins: [isc.origin] } }, withHandlers())
    instrument()
    isc.failNext(1, 400)
    const delivered = await deliver(server.url, PRE_APPROVAL, undefined, {
      bearer: TOKEN,
      mode: 'async',
      isc,
    })
    expect(delivered.status).toBe(200)
    const callback = only(await h.telemetry.waitForSpans(2), SpanKind.CLIENT)
    expect(callback.attributes).toMatchObject({
      'isc.callback.outcome': 'rejected',
      'http.response.status_code': 400,
    })
    expect(callback.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ISC answered 400' })
  })

  it('an ASYNC handler that failed after its 200: the callback that tells ISC { error } is an ERROR span', async () => {
    const isc = await fakeIsc()
    const server = await served(
      { completion: { allowedCallbackOrigins: [isc.origin] }, logger: false },
      (receiver) =>
        receiver.on(
          PRE_APPROVAL,
          async () => {
            throw new Error('the policy service is down')
          },
          { mode: 'async' },
        ),
    )
    instrument()
    const delivered = await deliver(server.url, PRE_APPROVAL, undefined, {
      bearer: TOKEN,
      mode: 'async',
      isc,
    })
    expect(delivered.status).toBe(200)
    expect(await delivered.completion).toMatchObject({ body: { error: expect.any(String) } })
    const spans = await h.telemetry.waitForSpans(2)
    expect(only(spans, SpanKind.CONSUMER).status.code).toBe(SpanStatusCode.UNSET) // ISC got its 200
    const callback = only(spans, SpanKind.CLIENT)
    expect(callback.attributes).toMatchObject({
      'isc.callback.outcome': 'completed',
      'isc.callback.decision': 'error',
      'error.type': 'HANDLER_FAILED',
    })
    expect(callback.status.code).toBe(SpanStatusCode.ERROR)
  })

  it('a network error is recorded on the attempt span, which is an ERROR', async () => {
    // An ISC whose first answer is a dropped connection, then 204.
    let requests = 0
    const isc = createServer((req, res) => {
      requests++
      if (requests === 1) req.socket.destroy()
      else req.resume().on('end', () => res.writeHead(204).end())
    })
    isc.listen(0, '127.0.0.1')
    await once(isc, 'listening')
    h.after(() => new Promise((resolve) => isc.close(resolve)))
    const origin = `http://127.0.0.1:${(isc.address() as AddressInfo).port}`
    const server = await served(
      { completion: { allowedCallbackOrigins: [origin], retry: { baseDelayMs: 1, maxDelayMs: 5 } } },
      withHandlers(),
    )
    instrument()
    const input = {
      ...sampleInput(PRE_APPROVAL),
      _metadata: {
        callbackURL: `${origin}/beta/trigger-invocations/inv-network/complete`,
        secret: 'secret-network',
        triggerId: PRE_APPROVAL,
        triggerType: 'requestResponse',
        responseMode: 'async',
      },
    }
    expect((await server.post('access-request-pre-approval', input)).status).toBe(200)
    const spans = await h.telemetry.waitForSpans(3)
    const [first, second] = spans.filter((s) => s.kind === SpanKind.CLIENT)
    expect(first?.attributes['isc.callback.outcome']).toBe('retry')
    expect(first?.attributes['http.response.status_code']).toBeUndefined()
    expect(first?.status.code).toBe(SpanStatusCode.ERROR)
    expect(first?.events.map((e) => e.name)).toEqual(['exception'])
    expect(second?.attributes['isc.callback.outcome']).toBe('completed')
    expect(second?.events).toEqual([])
  })
})

describe('which providers', () => {
  function globalTelemetry(): Telemetry {
    const global = makeTelemetry()
    h.after(() => global.shutdown())
    trace.setGlobalTracerProvider(global.tracerProvider)
    metrics.setGlobalMeterProvider(global.meterProvider)
    return global
  }

  it('uses the providers given, not the global ones', async () => {
    const global = globalTelemetry()
    const server = await served({}, withHandlers())
    instrument({ tracerProvider: h.telemetry.tracerProvider, meterProvider: h.telemetry.meterProvider })
    await server.post('identity-created', sampleInput(IDENTITY_CREATED))
    expect(await h.telemetry.waitForSpans(1)).toHaveLength(1)
    expect(await h.telemetry.points(DURATION)).toHaveLength(1)
    expect(global.spans()).toHaveLength(0)
    expect(await global.points(DURATION)).toHaveLength(0)
  })

  it('uses the global providers without options', async () => {
    const global = globalTelemetry()
    const server = await served({}, withHandlers())
    instrument({})
    await server.post('identity-created', sampleInput(IDENTITY_CREATED))
    expect(await global.waitForSpans(1)).toHaveLength(1)
    expect(await global.points(DURATION)).toHaveLength(1)
    expect(h.telemetry.spans()).toHaveLength(0)
  })

  it('uses global providers registered after instrumentTriggers() and after a first delivery', async () => {
    const server = await served({}, withHandlers())
    instrument({})
    // No provider registered yet: OpenTelemetry's no-op tracer and meter are all there is.
    expect((await server.post('identity-created', sampleInput(IDENTITY_CREATED))).status).toBe(200)
    const global = globalTelemetry() // an SDK started later
    await server.post('identity-created', sampleInput(IDENTITY_CREATED))
    expect(await global.waitForSpans(1)).toHaveLength(1)
    expect(await global.points(DURATION)).toEqual([
      expect.objectContaining({ value: expect.objectContaining({ count: 1 }) }),
    ])
  })
})
