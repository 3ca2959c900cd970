// @isc-triggers/otel as an application sets it up, exporting to nowhere: a BasicTracerProvider
// with a BatchSpanProcessor (what production uses; SimpleSpanProcessor is for debugging) around a
// span exporter that reports success and drops the spans, a MeterProvider with a periodic reader
// around a metric exporter that does the same, and AsyncLocalStorageContextManager as the global
// context manager. What it costs is then the instrumentation and the SDK's own work (span and
// metric objects, the batch queue, the context), not an exporter's network. Everything is loaded
// with import() so the other benchmark servers start when @isc-triggers/otel is not built.
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'

/** What the instrumentation handed the exporters, read after `flush()`. */
export interface BenchOtel {
  /** Spans handed to the span exporter so far (after a `flush()`, every ended span). */
  spans(): number
  /** Data points handed to the metric exporter so far. */
  metricPoints(): number
  /** Pushes the batch queue and the metric reader through their exporters. */
  flush(): Promise<void>
}

/** An exporter's result (@opentelemetry/core's ExportResult, without depending on that package). */
type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0]
/** `ExportResultCode.SUCCESS`. */
const SUCCESS: ExportResult = { code: 0 }

/**
 * Why @isc-triggers/otel cannot be loaded (not built yet), or undefined when it can.
 *
 * @example
 * const reason = await otelUnavailable()
 * if (reason) console.error(`otel rows skipped: ${reason}`)
 */
export async function otelUnavailable(): Promise<string | undefined> {
  try {
    await import('@isc-triggers/otel')
    return undefined
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return `@isc-triggers/otel could not be loaded (pnpm build builds it): ${message}`
  }
}

/**
 * Registers OpenTelemetry's AsyncLocalStorage context manager and returns a function that runs
 * work inside a context (`context.with`), as an app's HTTP instrumentation runs each request: the
 * share of the `otel` rows' cost that any app traced with OpenTelemetry already pays (in Node 20,
 * once an AsyncLocalStorage is entered, every promise and async resource pays a hook).
 *
 * @example
 * const within = await startContextManagerOnly()
 * createServer((req, res) => within(() => handler(req, res)))
 */
export async function startContextManagerOnly(): Promise<<T>(work: () => T) => T> {
  const { context } = await import('@opentelemetry/api')
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks')
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  return (work) => context.with(context.active(), work)
}

/**
 * Turns @isc-triggers/otel on in this process, with no-op exporters (see the top of this file).
 *
 * @example
 * const otel = await startBenchOtel()
 * // ... deliveries ...
 * await otel.flush()
 * if (otel.spans() === 0) throw new Error('no spans')
 */
export async function startBenchOtel(): Promise<BenchOtel> {
  const { instrumentTriggers } = await import('@isc-triggers/otel')
  const { context } = await import('@opentelemetry/api')
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks')
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base')
  const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics')

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  let spans = 0
  const spanExporter: SpanExporter = {
    export(batch: ReadableSpan[], done: (result: ExportResult) => void) {
      spans += batch.length
      done(SUCCESS)
    },
    shutdown: async () => {},
  }
  let metricPoints = 0
  const metricExporter: PushMetricExporter = {
    export(metrics: ResourceMetrics, done: (result: ExportResult) => void) {
      for (const scope of metrics.scopeMetrics)
        for (const metric of scope.metrics) metricPoints += metric.dataPoints.length
      done(SUCCESS)
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  }
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spanExporter)] })
  // The SDK's default interval (60 s): within a benchmark window the reader only aggregates.
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter })
  const meterProvider = new MeterProvider({ readers: [reader] })
  instrumentTriggers({ tracerProvider, meterProvider })
  return {
    spans: () => spans,
    metricPoints: () => metricPoints,
    flush: async () => {
      await tracerProvider.forceFlush()
      await meterProvider.forceFlush()
    },
  }
}
