import { tracingChannel } from 'node:diagnostics_channel'
import { CALLBACK_CHANNEL, DELIVERY_CHANNEL } from '@isc-triggers/core'
import { deliver, sampleInput, sampleOutput } from '@isc-triggers/testing'
import { SpanKind } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { makeTelemetry, parentOf, type Served, TOKEN, useHarness } from './telemetry.test-helper.js'

// disable(): nothing left subscribed or bound, no span or point after it; instrumentations are
// independent of each other.

const h = useHarness()
const DURATION = 'isc_triggers.delivery.duration'
const IDENTITY_CREATED = 'idn:identity-created'
const PRE_APPROVAL = 'idn:access-request-pre-approval'

const deliveries = tracingChannel(DELIVERY_CHANNEL)
const callbacks = tracingChannel(CALLBACK_CHANNEL)

function register(receiver: Served['receiver']) {
  receiver.on(IDENTITY_CREATED, async () => {
    await new Promise((resolve) => setImmediate(resolve))
    h.telemetry.tracerProvider.getTracer('user-code').startActiveSpan('user work', (span) => span.end())
  })
  receiver.on(PRE_APPROVAL, () => sampleOutput(PRE_APPROVAL), { mode: 'async' })
}

describe('disable()', () => {
  it('leaves no subscriber or bound store on either channel, and no span or point follows', async () => {
    expect(deliveries.hasSubscribers).toBe(false)
    expect(callbacks.hasSubscribers).toBe(false)
    const isc = await h.fakeIsc()
    const server = await h.serve({ completion: { allowedCallbackOrigins: [isc.origin] } }, register)
    const instrumentation = h.instrument()
    expect(deliveries.hasSubscribers).toBe(true)
    expect(callbacks.hasSubscribers).toBe(true)

    await server.post('identity-created', sampleInput(IDENTITY_CREATED))
    const first = await deliver(server.url, PRE_APPROVAL, undefined, { bearer: TOKEN, mode: 'async', isc })
    await first.completion
    const before = await h.telemetry.waitForSpans(4) // two deliveries, the user's span, one callback
    expect(before.filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(1)

    instrumentation.disable()
    for (const channel of [deliveries, callbacks]) {
      expect(channel.hasSubscribers).toBe(false)
      for (const event of ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const)
        expect(channel[event].hasSubscribers, event).toBe(false)
    }
    instrumentation.disable() // again: nothing happens
    expect(deliveries.hasSubscribers).toBe(false)

    const points = await h.telemetry.points(DURATION)
    expect(points.map((p) => (p.value as { count: number }).count)).toEqual([1, 1])
    expect(await server.post('identity-created', sampleInput(IDENTITY_CREATED))).toHaveProperty('status', 200)
    const second = await deliver(server.url, PRE_APPROVAL, undefined, { bearer: TOKEN, mode: 'async', isc })
    await second.completion
    // The user's own span (not ours) still ends; it is the only new one, and a root now.
    const after = await h.telemetry.waitForSpans(5)
    const [late, ...more] = after.slice(before.length)
    expect(more).toHaveLength(0)
    expect(late?.name).toBe('user work')
    expect(parentOf(late as (typeof after)[number])).toBeUndefined()
    expect(await h.telemetry.points(DURATION)).toEqual(points)
    expect(await h.telemetry.points('isc_triggers.callback.attempts')).toHaveLength(1)
  })

  it('two instrumentations are independent: disabling one leaves the other working, nesting included', async () => {
    const other = makeTelemetry()
    h.after(() => other.shutdown())
    const server = await h.serve({}, register)
    const first = h.instrument()
    h.instrument({ tracerProvider: other.tracerProvider, meterProvider: other.meterProvider })
    await server.post('identity-created', sampleInput(IDENTITY_CREATED))
    // Both made a delivery span; the handler ran in the last one's.
    const [user0] = await h.telemetry.waitForSpans(2) // the user's span, then the first's delivery span
    const [otherDelivery0] = await other.waitForSpans(1)
    expect(user0 && parentOf(user0)).toBe(otherDelivery0?.spanContext().spanId)

    first.disable()
    expect(deliveries.hasSubscribers).toBe(true)
    const before = h.telemetry.spans().length
    await server.post('identity-created', sampleInput(IDENTITY_CREATED))
    const [otherDelivery] = (await other.waitForSpans(2)).slice(1)
    const [user, ...more] = (await h.telemetry.waitForSpans(before + 1)).slice(before)
    expect(more).toHaveLength(0)
    expect(user?.name).toBe('user work')
    // The handler still runs in the remaining instrumentation's delivery span.
    expect(user && parentOf(user)).toBe(otherDelivery?.spanContext().spanId)
    expect(otherDelivery?.spanContext().traceId).toBe(user?.spanContext().traceId)
  })
})
