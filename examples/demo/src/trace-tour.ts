// The trace tour of `pnpm demo`: one ASYNC access-request decision, delivered like ISC to a
// receiver instrumented by @isc-triggers/otel, its callback going to a fake ISC; then the trace as
// a tree: the delivery's CONSUMER span, the handler's own span under it, the callback's CLIENT span.
import { randomBytes } from 'node:crypto'
import { createTriggerReceiver, toNodeHandler } from '@isc-triggers/core'
import { instrumentTriggers } from '@isc-triggers/otel'
import { deliver, sampleInput, startFakeIsc } from '@isc-triggers/testing'
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'

const TOKEN = randomBytes(18).toString('base64url')
const KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']
const SHOWN = [
  'isc.trigger.type',
  'isc.invocation.id',
  'http.response.status_code',
  'isc.callback.attempt',
  'isc.callback.outcome',
]

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId
const ms = (span: ReadableSpan) => span.duration[0] * 1e3 + span.duration[1] / 1e6

/** The spans as a tree, children under their parent, in start order. */
function printTree(spans: ReadableSpan[]): void {
  const ids = new Set(spans.map((span) => span.spanContext().spanId))
  const print = (span: ReadableSpan, depth: number) => {
    const shown = SHOWN.filter((key) => span.attributes[key] !== undefined)
      .map((key) => `${key.replace(/^(isc|http)\./, '')}=${span.attributes[key]}`)
      .join(' ')
    const label = `${'   '.repeat(depth)}${depth ? '└─ ' : ''}${span.name}`
    console.log(
      `  ${label.padEnd(58)} ${(KINDS[span.kind] ?? '').padEnd(8)} ${ms(span).toFixed(1).padStart(6)} ms  ${shown}`,
    )
    for (const child of spans.filter((other) => parentOf(other) === span.spanContext().spanId))
      print(child, depth + 1)
  }
  for (const root of spans.filter((span) => !ids.has(parentOf(span) ?? ''))) print(root, 0)
}

/** Returns the number of problems: the tree must be delivery → handler span, delivery → callback span. */
export async function traceTour(): Promise<number> {
  console.log(
    '\nThe trace of one ASYNC decision (spans from @isc-triggers/otel, your handler span inside):\n',
  )
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  const instrumentation = instrumentTriggers({ tracerProvider: provider })
  const tracer = provider.getTracer('examples/demo')
  const isc = await startFakeIsc()
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens: [TOKEN] },
    logger: false,
    completion: { allowedCallbackOrigins: [isc.origin] },
  })
  receiver.on(
    'idn:access-request-pre-approval',
    (input) =>
      // The handler's own work, as a span of its own: it nests under the delivery span.
      tracer.startActiveSpan('check the access policy', (span) => {
        span.setAttribute('items', input.requestedItems.length)
        span.end()
        return { approved: true, comment: 'Within the standard access policy', approver: 'svc-access-policy' }
      }),
    { mode: 'async' },
  )
  try {
    const input = sampleInput('idn:access-request-pre-approval')
    const app = toNodeHandler(receiver, { path: '/isc/triggers' })
    const reply = await deliver(app, 'idn:access-request-pre-approval', input, {
      bearer: TOKEN,
      mode: 'async',
      isc,
    })
    const completion = await reply.completion
    await receiver.close() // waits for the callback run: its span has ended
    const spans = exporter
      .getFinishedSpans()
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])
    printTree(spans)
    const delivery = spans.find((span) => span.name === 'process idn:access-request-pre-approval')
    const id = delivery?.spanContext().spanId
    const handler = spans.find((span) => span.name === 'check the access policy')
    const callback = spans.find((span) => KINDS[span.kind] === 'CLIENT')
    const ok =
      reply.status === 200 &&
      completion?.status !== undefined &&
      id !== undefined &&
      parentOf(handler as ReadableSpan) === id &&
      parentOf(callback as ReadableSpan) === id
    console.log(
      ok
        ? '\n  ISC got 200 {} at once; the decision went by callback, in the same trace.'
        : '\n  NO: the trace is not delivery → handler span, delivery → callback span',
    )
    return ok ? 0 : 1
  } finally {
    instrumentation.disable()
    await isc.close()
    await provider.shutdown()
    context.disable()
  }
}
