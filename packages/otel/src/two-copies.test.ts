import { sampleInput } from '@isc-triggers/testing'
import { expect, it, vi } from 'vitest'
import { makeTelemetry, parentOf, type Served, useHarness } from './telemetry.test-helper.js'

// Two copies of this package in one process (its ESM and CommonJS builds, loaded by different
// dependencies): both bind OpenTelemetry's storage to the same channels, and a channel keeps one
// transform per storage, so the copies must share one binding rather than replace each other's.

const h = useHarness()
const IDENTITY_CREATED = 'idn:identity-created'

function register(receiver: Served['receiver']) {
  receiver.on(IDENTITY_CREATED, async () => {
    await new Promise((resolve) => setImmediate(resolve))
    h.telemetry.tracerProvider.getTracer('user-code').startActiveSpan('user work', (span) => span.end())
  })
}

it("a second copy neither becomes the first one's parent nor takes its nesting away when disabled", async () => {
  vi.resetModules()
  const copy = await import('./instrument.js') // a module instance of its own, as a second build is
  const other = makeTelemetry()
  h.after(() => other.shutdown())
  const server = await h.serve({}, register)
  h.instrument()
  const second = copy.instrumentTriggers({
    tracerProvider: other.tracerProvider,
    meterProvider: other.meterProvider,
  })
  h.after(() => second.disable())

  await server.post('identity-created', sampleInput(IDENTITY_CREATED))
  const mine = (await h.telemetry.waitForSpans(2)).find((span) => span.name === `process ${IDENTITY_CREATED}`)
  expect(mine && parentOf(mine)).toBeUndefined() // not a child of the other copy's delivery span

  second.disable()
  const before = h.telemetry.spans().length
  await server.post('identity-created', sampleInput(IDENTITY_CREATED))
  const spans = (await h.telemetry.waitForSpans(before + 2)).slice(before)
  const delivery = spans.find((span) => span.name === `process ${IDENTITY_CREATED}`)
  const user = spans.find((span) => span.name === 'user work')
  expect(user && parentOf(user)).toBe(delivery?.spanContext().spanId)
})
