// In-memory OpenTelemetry for the tests (an SDK tracer provider and meter provider whose output
// the tests read back), and a receiver served on a real node:http server on 127.0.0.1.
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTriggerReceiver, type TriggerReceiverOptions, toNodeHandler } from '@isc-triggers/core'
import { type FakeIsc, type FakeIscOptions, startFakeIsc } from '@isc-triggers/testing'
import {
  type Attributes,
  type Context,
  type ContextManager,
  context,
  DiagLogLevel,
  diag,
  metrics,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { type DataPoint, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterEach, beforeEach, expect } from 'vitest'
import { type InstrumentTriggersOptions, instrumentTriggers, type TriggerInstrumentation } from './index.js'

export const TOKEN = 'otel-test-bearer-7f3a91c2'

/** A reader the tests collect from when they want the points (no timer). */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Point {
  attributes: Attributes
  /** A counter's sum, or a histogram's `{ count, sum, ... }`. */
  value: DataPoint<unknown>['value']
}

export interface Telemetry {
  readonly tracerProvider: BasicTracerProvider
  readonly meterProvider: MeterProvider
  readonly exporter: InMemorySpanExporter
  /** The spans ended so far. */
  spans(): ReadableSpan[]
  /** Resolves with the ended spans once there are `count` (rejects after `ms`: a hang detector). */
  waitForSpans(count: number, ms?: number): Promise<ReadableSpan[]>
  /** The points of one metric (cumulative), by instrument name. */
  points(name: string): Promise<Point[]>
  /** Every metric's descriptor and points, for looking through all of it. */
  allMetrics(): Promise<unknown[]>
  shutdown(): Promise<void>
}

/**
 * An SDK tracer provider with an in-memory exporter and an SDK meter provider with a reader.
 *
 * @example
 * const telemetry = makeTelemetry()
 * instrumentTriggers({ tracerProvider: telemetry.tracerProvider, meterProvider: telemetry.meterProvider })
 */
export function makeTelemetry(): Telemetry {
  const exporter = new InMemorySpanExporter()
  const waiters: { count: number; resolve: () => void }[] = []
  const notify: SpanProcessor = {
    onStart() {},
    onEnd() {
      const ended = exporter.getFinishedSpans().length
      for (const waiter of waiters.filter((w) => ended >= w.count)) waiter.resolve()
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  }
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter), notify],
  })
  const reader = new CollectingReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const allMetrics = async () => {
    const { resourceMetrics } = await reader.collect()
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)
  }
  return {
    tracerProvider,
    meterProvider,
    exporter,
    spans: () => [...exporter.getFinishedSpans()],
    async waitForSpans(count, ms = 8_000) {
      if (exporter.getFinishedSpans().length < count) {
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          new Promise<void>((resolve) => waiters.push({ count, resolve })),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out waiting for ${count} spans`)), ms)
          }),
        ]).finally(() => clearTimeout(timer))
      }
      return [...exporter.getFinishedSpans()]
    },
    async points(name) {
      const metric = (await allMetrics()).find((m) => m.descriptor.name === name)
      return (metric?.dataPoints ?? []).map((p: DataPoint<unknown>) => ({
        attributes: p.attributes,
        value: p.value,
      }))
    },
    allMetrics,
    async shutdown() {
      await tracerProvider.shutdown()
      await meterProvider.shutdown()
    },
  }
}

/** The parent span id of a finished span (SDK 2.x keeps it in `parentSpanContext`). */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId
}

/**
 * A context manager that is not AsyncLocalStorage-based: the active context is a stack, set only
 * during `with()`'s synchronous call (as in browsers' StackContextManager).
 */
export class StackContextManager implements ContextManager {
  #stack: Context[] = []
  active(): Context {
    return this.#stack[this.#stack.length - 1] ?? ROOT_CONTEXT
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.#stack.push(context)
    try {
      return fn.call(thisArg, ...args)
    } finally {
      this.#stack.pop()
    }
  }
  bind<T>(_context: Context, target: T): T {
    return target
  }
  enable(): this {
    return this
  }
  disable(): this {
    this.#stack = []
    return this
  }
}

export type Listener = (req: IncomingMessage, res: ServerResponse, handler: () => void) => void

export interface Served {
  /** `http://127.0.0.1:<port>/isc/triggers` */
  readonly url: string
  readonly receiver: ReturnType<typeof createTriggerReceiver>
  /** POSTs JSON to `<url>/<trigger>` with the bearer token (or `token`). */
  post(trigger: string, body: unknown, token?: string): Promise<Response>
  close(): Promise<void>
}

/**
 * A receiver mounted with `toNodeHandler` on a node:http server on 127.0.0.1 (port 0); `around`
 * may run the node handler inside something (a server span).
 *
 * @example
 * const served = await serve({}, (receiver) => receiver.on('idn:identity-created', () => {}))
 */
export async function serve(
  options: Partial<TriggerReceiverOptions>,
  register: (receiver: ReturnType<typeof createTriggerReceiver>) => void,
  around?: Listener,
): Promise<Served> {
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens: [TOKEN] },
    logger: false,
    ...options,
  })
  register(receiver)
  const handler = toNodeHandler(receiver, { path: '/isc/triggers' })
  const server = createServer((req, res) =>
    around ? around(req, res, () => handler(req, res)) : handler(req, res),
  )
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/isc/triggers`
  return {
    url,
    receiver,
    post: (trigger, body, token = TOKEN) =>
      fetch(`${url}/${trigger}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      }),
    async close() {
      await receiver.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export interface Harness {
  /** This test's in-memory providers. */
  readonly telemetry: Telemetry
  /** Instruments with this test's providers (or `options`); disabled after the test. */
  instrument(options?: InstrumentTriggersOptions): TriggerInstrumentation
  /** Runs `cleanup` after the test (last registered, first run). */
  after(cleanup: () => unknown): void
  /** {@link serve}, closed after the test. */
  serve(...args: Parameters<typeof serve>): Promise<Served>
  /** A fake ISC, closed after the test. */
  fakeIsc(options?: FakeIscOptions): Promise<FakeIsc>
  /** What OpenTelemetry's diag logger was told during this test. */
  readonly logged: readonly { level: string; message: string }[]
}

/**
 * Registers vitest hooks: before each test, an AsyncLocalStorage context manager (unless
 * `contextManager` says otherwise) and fresh providers; after it, everything the test made is
 * closed or disabled, and OpenTelemetry's globals are reset.
 *
 * @example
 * const h = useHarness()
 * it('...', async () => { h.instrument(); ... h.telemetry.spans() })
 */
export function useHarness(
  contextManager: () => ContextManager = () => new AsyncLocalStorageContextManager(),
): Harness {
  let telemetry: Telemetry | undefined
  const cleanups: (() => unknown)[] = []
  const logged: { level: string; message: string }[] = []
  const log =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      logged.push({ level, message: [message, ...args.map(String)].join(' ') })
    }
  beforeEach(() => {
    logged.length = 0
    diag.setLogger(
      { error: log('error'), warn: log('warn'), info: log('info'), debug: () => {}, verbose: () => {} },
      DiagLogLevel.INFO,
    )
    if (!context.setGlobalContextManager(contextManager())) throw new Error('a context manager was left set')
    telemetry = makeTelemetry()
  })
  afterEach(async () => {
    try {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
      await telemetry?.shutdown()
    } finally {
      context.disable()
      trace.disable()
      metrics.disable()
      diag.disable()
    }
    // Nothing in the instrumentation failed (its subscribers report failures with diag.error).
    expect(logged.filter((entry) => entry.level === 'error')).toEqual([])
  })
  const current = (): Telemetry => {
    if (telemetry === undefined) throw new Error('the harness is used outside a test')
    return telemetry
  }
  return {
    get telemetry() {
      return current()
    },
    logged,
    instrument(options) {
      const t = current()
      const instrumentation = instrumentTriggers(
        options ?? { tracerProvider: t.tracerProvider, meterProvider: t.meterProvider },
      )
      cleanups.push(() => instrumentation.disable())
      return instrumentation
    },
    after(cleanup) {
      cleanups.push(cleanup)
    },
    async serve(...args) {
      const server = await serve(...args)
      cleanups.push(() => server.close())
      return server
    },
    async fakeIsc(options) {
      const isc = await startFakeIsc(options)
      cleanups.push(() => isc.close())
      return isc
    },
  }
}
