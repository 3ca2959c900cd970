import { sampleInput } from '@isc-triggers/testing'
import { context, SpanKind, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { describe, expect, it } from 'vitest'
import { parentOf, StackContextManager, useHarness } from './telemetry.test-helper.js'

// Without an AsyncLocalStorage-based context manager (OpenTelemetry's store cannot be bound to
// the channels): spans are still made, with the context active when the delivery started as their
// parent, but a handler's own spans do not nest; a warning says so, once.

const h = useHarness(() => new StackContextManager())

describe('no AsyncLocalStorage context manager', () => {
  it('delivery spans keep their parent; handler spans do not nest; one diag warning', async () => {
    const server = await h.serve(
      {},
      (receiver) =>
        receiver.on('idn:identity-created', async () => {
          await new Promise((resolve) => setImmediate(resolve))
          h.telemetry.tracerProvider.getTracer('user-code').startActiveSpan('user work', (span) => span.end())
        }),
      (_req, res, handler) => {
        const span = h.telemetry.tracerProvider
          .getTracer('test-http')
          .startSpan('POST /isc/triggers', { kind: SpanKind.SERVER })
        res.on('finish', () => span.end())
        context.with(trace.setSpan(context.active(), span), handler)
      },
    )
    h.instrument()
    for (const _ of [1, 2])
      expect((await server.post('identity-created', sampleInput('idn:identity-created'))).status).toBe(200)
    const spans = await h.telemetry.waitForSpans(6)
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER)
    const deliveries = spans.filter((s) => s.kind === SpanKind.CONSUMER)
    const users = spans.filter((s) => s.kind === SpanKind.INTERNAL)
    expect(deliveries.map(parentOf)).toEqual(servers.map((s) => s.spanContext().spanId))
    expect(users.map(parentOf)).toEqual([undefined, undefined])
    const warnings = h.logged.filter((entry) => entry.level === 'warn')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.message).toMatch(/no AsyncLocalStorage-based OpenTelemetry context manager/)
  })

  it('an AsyncLocalStorage context manager registered later is used from the next delivery on', async () => {
    const server = await h.serve({}, (receiver) =>
      receiver.on('idn:identity-created', async () => {
        await new Promise((resolve) => setImmediate(resolve))
        h.telemetry.tracerProvider.getTracer('user-code').startActiveSpan('user work', (span) => span.end())
      }),
    )
    h.instrument()
    context.disable()
    context.setGlobalContextManager(new AsyncLocalStorageContextManager())
    for (const _ of [1, 2])
      expect((await server.post('identity-created', sampleInput('idn:identity-created'))).status).toBe(200)
    const [, , secondUser, secondDelivery] = await h.telemetry.waitForSpans(4)
    expect(secondUser?.name).toBe('user work')
    expect(secondUser && parentOf(secondUser)).toBe(secondDelivery?.spanContext().spanId)
  })
})
