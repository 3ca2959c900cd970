import type { AsyncLocalStorage } from 'node:async_hooks'
import { type Channel, tracingChannel } from 'node:diagnostics_channel'
import {
  CALLBACK_CHANNEL,
  type CallbackTraceContext,
  DELIVERY_CHANNEL,
  type DeliveryTraceContext,
} from '@isc-triggers/core'
import {
  type Attributes,
  type Context,
  type Counter,
  context,
  diag,
  type Histogram,
  type MeterProvider,
  metrics,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'
import { bindSpanStore, findContextStorage, unbindSpanStore } from './context-storage.js'

/** The instrumentation scope name of every span and metric this package makes. */
const SCOPE = '@isc-triggers/otel'

/**
 * Options of {@link instrumentTriggers}: where spans and metric points go.
 *
 * @example
 * const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] })
 * const meterProvider = new MeterProvider({ readers: [reader] })
 * instrumentTriggers({ tracerProvider, meterProvider })
 */
export interface InstrumentTriggersOptions {
  /**
   * Where delivery and callback spans go; default the global one (`trace.getTracerProvider()`, as
   * set by the OpenTelemetry Node SDK's `start()`).
   */
  tracerProvider?: TracerProvider
  /**
   * Where the delivery duration histogram and callback attempt counter go; default the global one
   * (`metrics.getMeterProvider()`, looked up again when it changes, so an SDK started after this
   * call is still used).
   */
  meterProvider?: MeterProvider
}

/**
 * What {@link instrumentTriggers} returns: a handle to stop it.
 *
 * @example
 * const instrumentation = instrumentTriggers()
 * process.once('SIGTERM', () => instrumentation.disable())
 */
export interface TriggerInstrumentation {
  /**
   * Stops this instrumentation: its channel subscribers are removed and its context stores
   * unbound, so no span or metric point follows (spans of deliveries still in flight are not
   * ended). Calling it again does nothing.
   */
  disable(): void
}

interface OpenDelivery {
  readonly span: Span
  readonly started: number
}

interface Instruments {
  readonly duration: Histogram
  readonly attempts: Counter
}

const DELIVERY_SPAN: SpanOptions = {
  kind: SpanKind.CONSUMER,
  attributes: {
    'messaging.system': 'sailpoint.isc',
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
  },
}

// The bucket boundaries OpenTelemetry's HTTP conventions advise for durations in seconds (the
// SDK's default boundaries are meant for milliseconds).
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

const deliveryChannels = tracingChannel<unknown, DeliveryTraceContext>(DELIVERY_CHANNEL)
const callbackChannels = tracingChannel<unknown, CallbackTraceContext>(CALLBACK_CHANNEL)

/** A subscriber must never throw: diagnostics_channel would rethrow it as an uncaught exception. */
function failed(where: string, error: unknown): void {
  diag.error(`@isc-triggers/otel: ${where} failed`, error instanceof Error ? error.message : String(error))
}

class Instrumentation implements TriggerInstrumentation {
  readonly #tracerProvider: TracerProvider | undefined
  readonly #meterProvider: MeterProvider | undefined
  #tracer: Tracer | undefined
  #tracerFrom: TracerProvider | undefined
  #instruments: Instruments | undefined
  #instrumentsFrom: MeterProvider | undefined
  readonly #deliveries = new WeakMap<DeliveryTraceContext, OpenDelivery>()
  readonly #callbacks = new WeakMap<CallbackTraceContext, Span>()
  /** OpenTelemetry's AsyncLocalStorage, bound to both channels' `start`, when found. */
  #storage: AsyncLocalStorage<Context> | undefined
  #warned = false
  #enabled = true

  // Handlers are bound once: the same functions are subscribed and unsubscribed.
  readonly #enterDelivery = (data: object, parent: Context): Context =>
    this.#openDelivery(data as DeliveryTraceContext, parent)
  readonly #enterCallback = (data: object, parent: Context): Context =>
    this.#openCallback(data as CallbackTraceContext, parent)
  readonly #onDeliveryStart = (data: unknown): void => {
    this.#checkStorage()
    const ctx = data as DeliveryTraceContext
    // Without a bound store (or when another copy of this package owns the binding) the span is
    // opened here, in the context active before the delivery.
    if (!this.#deliveries.has(ctx)) this.#openDelivery(ctx, context.active())
  }
  readonly #onDeliveryAsyncEnd = (data: unknown): void => this.#closeDelivery(data as DeliveryTraceContext)
  readonly #onCallbackStart = (data: unknown): void => {
    this.#checkStorage()
    const ctx = data as CallbackTraceContext
    if (!this.#callbacks.has(ctx)) this.#openCallback(ctx, context.active())
  }
  readonly #onCallbackAsyncEnd = (data: unknown): void => this.#closeCallback(data as CallbackTraceContext)

  constructor(options: InstrumentTriggersOptions) {
    this.#tracerProvider = options.tracerProvider
    this.#meterProvider = options.meterProvider
    this.#checkStorage()
    deliveryChannels.start.subscribe(this.#onDeliveryStart)
    deliveryChannels.asyncEnd.subscribe(this.#onDeliveryAsyncEnd)
    callbackChannels.start.subscribe(this.#onCallbackStart)
    callbackChannels.asyncEnd.subscribe(this.#onCallbackAsyncEnd)
  }

  disable(): void {
    if (!this.#enabled) return
    this.#enabled = false
    deliveryChannels.start.unsubscribe(this.#onDeliveryStart)
    deliveryChannels.asyncEnd.unsubscribe(this.#onDeliveryAsyncEnd)
    callbackChannels.start.unsubscribe(this.#onCallbackStart)
    callbackChannels.asyncEnd.unsubscribe(this.#onCallbackAsyncEnd)
    this.#bind(undefined)
  }

  /** Binds OpenTelemetry's storage to both channels' start (again, if the context manager changed). */
  #checkStorage(): void {
    const storage = findContextStorage()
    if (storage === this.#storage) {
      if (storage === undefined && !this.#warned) {
        this.#warned = true
        diag.warn(
          '@isc-triggers/otel: no AsyncLocalStorage-based OpenTelemetry context manager found; ' +
            'delivery and callback spans are made, but spans started inside trigger handlers will ' +
            'not be their children (register AsyncLocalStorageContextManager, as the Node SDK does)',
        )
      }
      return
    }
    this.#bind(storage)
  }

  #bind(storage: AsyncLocalStorage<Context> | undefined): void {
    const previous = this.#storage
    if (previous !== undefined) {
      unbindSpanStore(deliveryChannels.start as Channel, previous, this.#enterDelivery)
      unbindSpanStore(callbackChannels.start as Channel, previous, this.#enterCallback)
    }
    this.#storage = storage
    if (storage !== undefined) {
      bindSpanStore(deliveryChannels.start as Channel, storage, this.#enterDelivery)
      bindSpanStore(callbackChannels.start as Channel, storage, this.#enterCallback)
    }
  }

  #getTracer(): Tracer {
    const provider = this.#tracerProvider ?? trace.getTracerProvider()
    if (this.#tracer === undefined || provider !== this.#tracerFrom) {
      this.#tracer = provider.getTracer(SCOPE)
      this.#tracerFrom = provider
    }
    return this.#tracer
  }

  #getInstruments(): Instruments {
    const provider = this.#meterProvider ?? metrics.getMeterProvider()
    if (this.#instruments === undefined || provider !== this.#instrumentsFrom) {
      const meter = provider.getMeter(SCOPE)
      this.#instruments = {
        duration: meter.createHistogram('isc_triggers.delivery.duration', {
          description: 'How long the receiver took to answer an ISC trigger delivery',
          unit: 's',
          advice: { explicitBucketBoundaries: DURATION_BUCKETS },
        }),
        attempts: meter.createCounter('isc_triggers.callback.attempts', {
          description: 'Callback (completion) attempts to ISC, by outcome',
          unit: '{attempt}',
        }),
      }
      this.#instrumentsFrom = provider
    }
    return this.#instruments
  }

  #openDelivery(ctx: DeliveryTraceContext, parent: Context): Context {
    try {
      let open = this.#deliveries.get(ctx)
      if (open === undefined) {
        // The trigger is not known yet (it is resolved during the delivery): named at the end.
        open = {
          span: this.#getTracer().startSpan('process isc-triggers', DELIVERY_SPAN, parent),
          started: performance.now(),
        }
        this.#deliveries.set(ctx, open)
      }
      return trace.setSpan(parent, open.span)
    } catch (error) {
      failed('opening a delivery span', error)
      return parent
    }
  }

  #closeDelivery(ctx: DeliveryTraceContext): void {
    const open = this.#deliveries.get(ctx)
    if (open === undefined) return
    this.#deliveries.delete(ctx)
    try {
      const { span } = open
      const { trigger, status } = ctx
      // A span the sampler dropped records nothing: skip describing it.
      if (span.isRecording()) describeDelivery(span, ctx)
      span.end()
      const point: Attributes = {}
      if (trigger !== undefined) point['isc.trigger.id'] = trigger
      if (status !== undefined) point['http.response.status_code'] = status
      this.#getInstruments().duration.record((performance.now() - open.started) / 1000, point)
    } catch (error) {
      failed('ending a delivery span', error)
    }
  }

  #openCallback(ctx: CallbackTraceContext, parent: Context): Context {
    try {
      let span = this.#callbacks.get(ctx)
      if (span === undefined) {
        const attributes: Attributes = { 'isc.callback.attempt': ctx.attempt }
        if (ctx.trigger !== undefined) attributes['isc.trigger.id'] = ctx.trigger
        if (ctx.invocationId !== undefined) attributes['isc.invocation.id'] = ctx.invocationId
        span = this.#getTracer().startSpan(
          `callback ${ctx.trigger ?? 'isc-triggers'}`,
          { kind: SpanKind.CLIENT, attributes },
          parent,
        )
        this.#callbacks.set(ctx, span)
      }
      return trace.setSpan(parent, span)
    } catch (error) {
      failed('opening a callback span', error)
      return parent
    }
  }

  #closeCallback(ctx: CallbackTraceContext): void {
    const span = this.#callbacks.get(ctx)
    if (span === undefined) return
    this.#callbacks.delete(ctx)
    try {
      if (span.isRecording()) describeCallback(span, ctx)
      span.end()
      const point: Attributes = {}
      if (ctx.outcome !== undefined) point['isc.callback.outcome'] = ctx.outcome
      if (ctx.trigger !== undefined) point['isc.trigger.id'] = ctx.trigger
      this.#getInstruments().attempts.add(1, point)
    } catch (error) {
      failed('ending a callback span', error)
    }
  }
}

/** What is known of a delivery once its reply is decided: the span's name, attributes and status. */
function describeDelivery(span: Span, ctx: DeliveryTraceContext): void {
  const { trigger, status, errorCode } = ctx
  const attributes: Attributes = {}
  if (trigger !== undefined) {
    span.updateName(`process ${trigger}`)
    attributes['isc.trigger.id'] = trigger
    attributes['messaging.destination.name'] = trigger
  }
  if (ctx.type !== undefined) attributes['isc.trigger.type'] = ctx.type
  if (ctx.mode !== undefined) attributes['isc.response_mode'] = ctx.mode
  if (ctx.invocationId !== undefined) {
    attributes['isc.invocation.id'] = ctx.invocationId
    attributes['messaging.message.id'] = ctx.invocationId
  }
  if (status !== undefined) attributes['http.response.status_code'] = status
  if (errorCode !== undefined) attributes['error.type'] = errorCode
  if (ctx.queued) attributes['isc.delivery.queued'] = true
  span.setAttributes(attributes)
  if (status !== undefined && status >= 500)
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode ?? 'HANDLER_FAILED' })
}

/** How a callback attempt ended: its outcome, ISC's status, and the error when there was no answer. */
function describeCallback(span: Span, ctx: CallbackTraceContext): void {
  const { outcome, status, error } = ctx
  if (outcome !== undefined) span.setAttribute('isc.callback.outcome', outcome)
  if (status !== undefined) span.setAttribute('http.response.status_code', status)
  if (error !== undefined) span.recordException(error)
  span.setAttribute('isc.callback.decision', ctx.decision)
  if (outcome === 'rejected' || (error !== undefined && (outcome === 'retry' || outcome === 'abandoned'))) {
    span.setAttribute('error.type', error?.name ?? (status !== undefined ? String(status) : outcome))
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: status !== undefined ? `ISC answered ${status}` : `callback ${outcome}`,
    })
  } else if (ctx.decision === 'error') {
    // An ASYNC or deferred DYNAMIC handler that failed: its delivery span ended with the 200 (or
    // 202) before it did, so its failure shows here, on the callback that reports it to ISC.
    span.setAttribute('error.type', 'HANDLER_FAILED')
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'the handler failed; ISC is told { error }' })
  }
}

/**
 * Turns the receiver's `isc-triggers:delivery` and `isc-triggers:callback` diagnostics channels
 * into OpenTelemetry spans and metrics: a CONSUMER span `process <trigger id>` per delivery (the
 * handler runs in its context, so spans it starts are its children), a CLIENT span
 * `callback <trigger id>` per callback attempt, the histogram `isc_triggers.delivery.duration`
 * (seconds) and the counter `isc_triggers.callback.attempts`. Uses the providers given, else the
 * global ones. Call it once at start-up, after the OpenTelemetry SDK is started; no span or
 * attribute ever carries a credential, a callback secret or a payload value.
 *
 * @example
 * import { NodeSDK } from '@opentelemetry/sdk-node'
 * import { instrumentTriggers } from '@isc-triggers/otel'
 *
 * new NodeSDK({ traceExporter, metricReader }).start()
 * const instrumentation = instrumentTriggers()
 * // ... on shutdown:
 * instrumentation.disable()
 */
export function instrumentTriggers(options: InstrumentTriggersOptions = {}): TriggerInstrumentation {
  return new Instrumentation(options)
}
