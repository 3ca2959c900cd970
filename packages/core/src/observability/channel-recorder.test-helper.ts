// A subscriber that records what the receiver publishes on its tracing channels, for core's
// observability tests. Test-only: not part of the package.
import { tracingChannel } from 'node:diagnostics_channel'
import { once } from 'node:events'
import { createServer, type RequestListener, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach } from 'vitest'
import { identityCreatedSample, preApprovalSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import { post } from '../queue/queue-fixtures.test-helper.js'
import { createTriggerReceiver, type TriggerReceiverOptions } from '../receiver/receiver.js'
import type { TriggerLogger } from '../types.js'
import type { CallbackTraceContext, DeliveryTraceContext } from './channels.js'

export type TraceEvent = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error'

/** One event: the live context (the same object at every event of a trace) and a copy taken then. */
export interface Recorded<C> {
  event: TraceEvent
  context: C
  /** The context's fields at the time of the event; `error` described in full (message, cause, ...). */
  snapshot: Record<string, unknown>
}

export interface ChannelRecorder<C extends object> {
  events: Recorded<C>[]
  /** The contexts in the order their `start` was published. */
  started(): C[]
  /** The event names of one context, in order. */
  sequence(context: C): TraceEvent[]
  /** The snapshot at the last event of one context. */
  last(context: C): Record<string, unknown>
  /** Every snapshot as JSON: what a subscriber could read (to look for secrets in it). */
  text(): string
  stop(): void
}

const EVENTS: readonly TraceEvent[] = ['start', 'end', 'asyncStart', 'asyncEnd', 'error']
const recorders: ChannelRecorder<object>[] = []

/** Everything an error shows a subscriber: name, message, stack, own fields and its causes. */
export function describeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 5) return error
  const own: Record<string, unknown> = {}
  for (const key of Object.keys(error)) own[key] = (error as unknown as Record<string, unknown>)[key]
  return {
    ...own,
    name: error.name,
    message: error.message,
    stack: error.stack,
    cause: describeError(error.cause, depth + 1),
  }
}

function snapshot(context: object): Record<string, unknown> {
  const { error, ...fields } = context as { error?: unknown }
  return error === undefined ? { ...fields } : { ...fields, error: describeError(error) }
}

/**
 * Subscribes to a tracing channel and records every event; stopped by the `afterEach` of any
 * file that imports this helper (or with `stop()`).
 *
 * @example
 * const deliveries = recordChannel<DeliveryTraceContext>('isc-triggers:delivery')
 * await receiver.handle(request)
 * expect(deliveries.sequence(deliveries.started()[0]!)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
 */
export function recordChannel<C extends object>(name: string): ChannelRecorder<C> {
  const channel = tracingChannel<unknown, C>(name)
  const events: Recorded<C>[] = []
  const handlers = Object.fromEntries(
    EVENTS.map((event) => [
      event,
      (context: C) => events.push({ event, context, snapshot: snapshot(context) }),
    ]),
  ) as unknown as Parameters<typeof channel.subscribe>[0]
  channel.subscribe(handlers)
  let stopped = false
  const recorder: ChannelRecorder<C> = {
    events,
    started: () => events.filter((e) => e.event === 'start').map((e) => e.context),
    sequence: (context) => events.filter((e) => e.context === context).map((e) => e.event),
    last: (context) => events.filter((e) => e.context === context).at(-1)?.snapshot ?? {},
    text: () => JSON.stringify(events.map((e) => e.snapshot)),
    stop() {
      if (stopped) return
      stopped = true
      channel.unsubscribe(handlers)
    },
  }
  recorders.push(recorder as ChannelRecorder<object>)
  return recorder
}

/** The delivery channel's recorder. */
export function recordDeliveries(): ChannelRecorder<DeliveryTraceContext> {
  return recordChannel<DeliveryTraceContext>('isc-triggers:delivery')
}

/** The callback channel's recorder. */
export function recordCallbacks(): ChannelRecorder<CallbackTraceContext> {
  return recordChannel<CallbackTraceContext>('isc-triggers:callback')
}

afterEach(() => {
  for (const recorder of recorders.splice(0)) recorder.stop()
})

/**
 * The well-formed event orders of one trace: decided at once (`start`, `error`?, `end`) or later
 * (`start`, `end`, `error`?, `asyncStart`, `asyncEnd`).
 */
export function isWellFormed(sequence: readonly TraceEvent[]): boolean {
  const text = sequence.join(',')
  return /^start,end,(error,)?asyncStart,asyncEnd$/.test(text)
}

/** A receiver that accepts {@link TEST_TOKEN}, silent unless `options` says otherwise. */
export function testReceiver(options: Partial<TriggerReceiverOptions> = {}) {
  return createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false, ...options })
}

/** One call of a console-style logger. */
export interface LogLine {
  level: 'error' | 'warn'
  message: string
  details: Record<string, unknown> | undefined
}

/** A `(message, fields)` logger that keeps every line. */
export function lineLogger(): TriggerLogger & { lines: LogLine[] } {
  const lines: LogLine[] = []
  const at = (level: LogLine['level']) => (message: string, details?: Record<string, unknown>) => {
    lines.push({ level, message, details })
  }
  return { lines, error: at('error'), warn: at('warn') }
}

/** A payload value no context, event or log line may show. */
export const PAYLOAD_VALUE = 'Zebediah-Quux-7731'

/** An `idn:identity-created` body whose identity name is {@link PAYLOAD_VALUE}. */
export function identityBody(): Record<string, unknown> {
  const sample = identityCreatedSample()
  return { ...sample, identity: { ...sample.identity, name: PAYLOAD_VALUE } }
}

/**
 * POSTs `body` to a real `node:http` server in two chunks: the second one only once `between()`
 * resolves, so the receiver starts on a body still streaming. Resolves with the status and text.
 *
 * @example
 * const reply = await postInTwoChunks(`${origin}/identity-created`, headers, body, () => started)
 */
export function postInTwoChunks(
  url: string,
  headers: Record<string, string>,
  body: string,
  between: () => Promise<unknown>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    const half = Math.floor(body.length / 2)
    req.write(body.slice(0, half))
    req.flushHeaders()
    between().then(() => req.end(body.slice(half)), reject)
  })
}

/** A `node:http` server listening on 127.0.0.1 with `listener`; its origin and close. */
export async function serve(
  listener: RequestListener,
): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = createServer(listener)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Options of {@link preApprovalDelivery}. */
export interface PreApprovalDeliveryOptions {
  /** `_metadata.secret`. */
  secret?: string
  /** Where the callback URL points; ISC's API host by default. */
  origin?: string
  /** `_metadata` fields to leave out (ISC names the trigger in the URL too). */
  without?: string[]
}

/**
 * An `idn:access-request-pre-approval` delivery with `_metadata` as ISC sends it, for invocation
 * `invocationId`; the requester's name is {@link PAYLOAD_VALUE}.
 *
 * @example
 * await receiver.handle(preApprovalDelivery('inv-1', { origin: isc.origin, secret: 's' }))
 */
export function preApprovalDelivery(invocationId: string, options: PreApprovalDeliveryOptions = {}) {
  const sample = preApprovalSample()
  const metadata: Record<string, string> = {
    triggerId: 'idn:access-request-pre-approval',
    triggerType: 'requestResponse',
    secret: options.secret ?? 'pre-approval-secret-3b8e',
    callbackURL: `${options.origin ?? 'https://acme.api.identitynow.com'}/beta/trigger-invocations/${invocationId}/complete`,
  }
  for (const field of options.without ?? []) delete metadata[field]
  return post('access-request-pre-approval', {
    ...sample,
    requestedFor: { ...sample.requestedFor, name: PAYLOAD_VALUE },
    _metadata: metadata,
  })
}
