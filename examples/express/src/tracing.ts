// Spans on the console, for a look at what @isc-triggers/otel records: main.ts calls this when
// ISC_TRIGGERS_TRACE=console. A real service sets up its OpenTelemetry SDK (NodeSDK with an OTLP
// exporter, say) instead, and calls only instrumentTriggers().
import { instrumentTriggers, type TriggerInstrumentation } from '@isc-triggers/otel'
import { context, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'

/**
 * Registers a tracer provider that writes each span to `exporter` (the console by default) and an
 * AsyncLocalStorage context manager (so spans made in a handler nest under its delivery span),
 * then instruments the receiver. Returns a function that undoes it.
 */
export function startTracing(exporter: SpanExporter = new ConsoleSpanExporter()): () => Promise<void> {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  trace.setGlobalTracerProvider(provider)
  const instrumentation: TriggerInstrumentation = instrumentTriggers()
  return async () => {
    instrumentation.disable()
    await provider.shutdown()
    trace.disable()
    context.disable()
  }
}
