// Regression tests for the bugs the hostile observability tests found (each failed before its
// fix; the comment above each group says what it was). A wrapper that never settles after run()
// is NOT one of them: a wrapper is part of the handler's time (see ReceiverHooks), so it is bounded
// by the limits that bound a handler, as a handler that never settles is.
import { tracingChannel } from 'node:diagnostics_channel'
import { describe, expect, it, vi } from 'vitest'
import { loopback } from '../callbacks/loopback.test-helper.js'
import { toNodeHandler } from '../node/node-handler.js'
import { turns } from '../queue/memory-queue.test-helper.js'
import { headers, post } from '../queue/queue-fixtures.test-helper.js'
import { identityBody, lineLogger, preApprovalDelivery, serve } from './channel-recorder.test-helper.js'
import type { DeliveryEvent, WrapHandler } from './hooks.js'
import { catchUncaught, closers, DECISION, lazyQuery, tracked } from './hostile.test-helper.js'

const passThrough: WrapHandler[] = [(_ctx, run) => run(), async (_ctx, run) => await run()]

/** Subscribes `handlers` to a tracing channel until the test ends. */
function subscribe(name: string, handlers: Record<string, (context: object) => void>): void {
  const events = ['start', 'end', 'asyncStart', 'asyncEnd', 'error']
  const all = Object.fromEntries(events.map((e) => [e, handlers[e] ?? (() => {})]))
  const channel = tracingChannel(name)
  channel.subscribe(all as never)
  closers.push(async () => channel.unsubscribe(all as never))
}

// Was BUG 1 (wrap-handler.ts:39-42 and 67-68). With any wrapHandler, run() calls `Promise.resolve(value).then(...)`
// on the handler's value to remember its rejection, and the wrapper's thenable is adopted again
// by `Promise.resolve(wrapped)` and by the promise `settle` resolves: a handler's thenable gets
// `then` called three times instead of once. A query builder (knex, mongoose, objection, drizzle)
// runs its query on each `then`: adding a pass-through wrapper runs a handler's INSERT three
// times, and a mongoose query's second exec rejects ("Query was already executed"), so the
// reply or the callback becomes a failure.
describe('BUG 1: a handler that returns a lazy thenable (a query builder), with a pass-through wrapper', () => {
  it.each(passThrough)(
    'fire-and-forget: the query runs once, as without wrappers (wrapper %#)',
    async (wrapHandler) => {
      const query = lazyQuery(undefined)
      const receiver = tracked({ hooks: { wrapHandler } })
      receiver.on('idn:identity-created', () => query)
      expect((await receiver.handle(post('identity-created', identityBody()))).status).toBe(200)
      expect(query.runs).toBe(1) // 3
    },
  )

  it.each(passThrough)(
    'SYNC: a mongoose-like query decides the reply, as without wrappers (wrapper %#)',
    async (wrapHandler) => {
      const receiver = tracked({ hooks: { wrapHandler } })
      receiver.on(
        'idn:access-request-pre-approval',
        () => lazyQuery(DECISION, true) as unknown as typeof DECISION,
      )
      const reply = await receiver.handle(preApprovalDelivery('inv-query'))
      expect(reply.status).toBe(200) // 500 HANDLER_FAILED: "Query was already executed"
      expect(JSON.parse(reply.body)).toEqual(DECISION)
    },
  )

  it('ASYNC: the callback carries the decision, not { error }', async () => {
    const isc = await loopback((_req, res) => res.writeHead(200).end())
    const receiver = tracked({
      completion: { allowedCallbackOrigins: [isc.origin] },
      hooks: { wrapHandler: (_ctx, run) => run() },
    })
    receiver.on(
      'idn:access-request-pre-approval',
      () => lazyQuery(DECISION, true) as unknown as typeof DECISION,
      {
        mode: 'async',
      },
    )
    await receiver.handle(preApprovalDelivery('inv-query-a', { origin: isc.origin, secret: 's' }))
    const [callback] = await isc.until(1)
    expect(JSON.parse(callback!.body)).toEqual({ secret: 's', output: DECISION }) // { error: 'The subscriber failed to decide' }
  })
})

// Was BUG 2 (handler-call.ts:73-77, runHandler's `failed`; errorSummary at :76). The wrapper failure is reported with
// `errorSummary(error)` evaluated OUTSIDE log()'s try: an error whose `name`/`message` cannot be
// read (a Proxy, a getter that throws) makes `failed` throw, so callThroughWrappers' `threw` never
// reaches `run()`: the handler never runs and the delivery is a 500. ISC does not redeliver: the
// event is lost.
describe('BUG 2: a wrapper that throws an error whose properties cannot be read', () => {
  const unreadable = () =>
    new Proxy(new Error('tracer broken'), {
      get() {
        throw new Error('unreadable')
      },
    })
  it.each<[string, WrapHandler]>([
    [
      'sync, before run()',
      () => {
        throw unreadable()
      },
    ],
    ['async, before run()', async () => Promise.reject(unreadable())],
  ])('%s: the handler still runs, once, and the reply is 200', async (_name, wrapHandler) => {
    const runs = vi.fn()
    const receiver = tracked({ hooks: { wrapHandler }, logger: lineLogger() })
    receiver.on('idn:identity-created', runs)
    const reply = await receiver.handle(post('identity-created', identityBody()))
    expect(runs).toHaveBeenCalledTimes(1) // 0
    expect(reply.status).toBe(200) // 500
  })
})

// Was BUG 3 (wrap-handler.ts:67, `if (!isThenable(wrapped))` outside any try). A wrapper's return
// value whose `then` getter throws (a Proxy, a hostile object) throws out of callThroughWrappers:
// the handler's decision is replaced by a 500, and if the wrapper had not called run() the handler
// never runs (event lost).
describe("BUG 3: a wrapper's return value whose then getter throws", () => {
  const hostile = () => ({
    // biome-ignore lint/suspicious/noThenProperty: a hostile thenable
    get then() {
      throw new Error('then getter')
    },
  })
  it("SYNC, after run(): the reply is the handler's decision", async () => {
    const receiver = tracked({
      hooks: {
        wrapHandler: (_ctx, run) => {
          run()
          return hostile()
        },
      },
    })
    receiver.on('idn:access-request-pre-approval', () => DECISION)
    const reply = await receiver.handle(preApprovalDelivery('inv-then'))
    expect(reply.status).toBe(200) // 500
    expect(JSON.parse(reply.body)).toEqual(DECISION)
  })

  it('fire-and-forget, without run(): the handler runs anyway', async () => {
    const runs = vi.fn()
    const receiver = tracked({ hooks: { wrapHandler: () => hostile() } })
    receiver.on('idn:identity-created', runs)
    const reply = await receiver.handle(post('identity-created', identityBody()))
    expect(runs).toHaveBeenCalledTimes(1) // 0
    expect(reply.status).toBe(200) // 500
  })
})

// Was BUG 4 (delivery-trace.ts:45-51, 68-74 and 88-99; pipeline.ts:206; callback-trace.ts:37-40 called
// from completion-run.ts:209 and :245). The traces
// keep their state in the context object they publish, and write it unguarded. A subscriber
// that freezes or seals its context (Object.freeze for an immutable store, immer's auto-freeze)
// or redefines a field makes those writes throw (modules are strict):
// - delivery: `resolved()` throws inside #receive: 500, the handler never runs (event lost);
//   `finish()` throws after send(): the exception leaves answer(), i.e. the request listener of
//   toNodeHandler (an uncaught exception: the process exits on Node's default), or rejects a
//   promise nobody handles on the asynchronous path;
// - callback: `finish()` throws in CompletionRun#step after ISC answered 200: the run takes it
//   for a failed attempt and POSTs the decision again and again (ISC then answers 400, reported
//   `rejected`); with a sealed context, a network error ends the run `expired` at once (the
//   decision is never sent);
// - a subscriber that merely writes a field changes what onDelivery is told (#told reads the
//   shared context).
describe('BUG 4: subscribers that freeze, seal or write their context', () => {
  it('delivery context frozen at start: 200, the handler runs once', async () => {
    subscribe('isc-triggers:delivery', { start: (context) => Object.freeze(context) })
    const runs = vi.fn()
    const receiver = tracked({})
    receiver.on('idn:identity-created', runs)
    const reply = await receiver.handle(post('identity-created', identityBody()))
    expect(runs).toHaveBeenCalledTimes(1) // 0
    expect(reply.status).toBe(200) // 500
  })

  it('delivery context frozen at start, through toNodeHandler: no uncaught exception', async () => {
    const uncaught = catchUncaught()
    subscribe('isc-triggers:delivery', { start: (context) => Object.freeze(context) })
    const receiver = tracked({})
    receiver.on('idn:identity-created', () => {})
    const server = await serve(toNodeHandler(receiver))
    closers.push(server.close)
    const response = await fetch(`${server.origin}/identity-created`, {
      method: 'POST',
      headers: { ...headers, authorization: 'Bearer wrong' },
      body: JSON.stringify(identityBody()),
    })
    expect(response.status).toBe(401)
    await turns()
    expect(uncaught.caught).toEqual([]) // [TypeError: Cannot assign to read only property 'status' ...]
  })

  it('a subscriber writing status at end: onDelivery is told the reply status', async () => {
    subscribe('isc-triggers:delivery', {
      end: (context) => {
        ;(context as { status: number }).status = 299
      },
    })
    const told: DeliveryEvent[] = []
    const receiver = tracked({ hooks: { onDelivery: (event) => void told.push(event) } })
    receiver.on('idn:identity-created', () => {})
    expect((await receiver.handle(post('identity-created', identityBody()))).status).toBe(200)
    expect(told.map((event) => event.status)).toEqual([200]) // [299]
  })

  /** An ASYNC receiver whose callbacks go to `origin`, retried at once; the outcomes it reported. */
  function asyncTo(origin: string) {
    const outcomes: string[] = []
    const receiver = tracked({
      completion: {
        allowedCallbackOrigins: [origin],
        retry: { baseDelayMs: 1, maxDelayMs: 2 },
        onCompletion: (report) => void outcomes.push(report.outcome),
      },
    })
    receiver.on('idn:access-request-pre-approval', async () => DECISION, { mode: 'async' })
    return { receiver, outcomes }
  }

  it('callback context frozen at start: one POST, outcome completed', async () => {
    subscribe('isc-triggers:callback', { start: (context) => Object.freeze(context) })
    const isc = await loopback((_req, res) => res.writeHead(200).end())
    const { receiver, outcomes } = asyncTo(isc.origin)
    await receiver.handle(preApprovalDelivery('inv-frozen', { origin: isc.origin }))
    // Before the fix the run never ended: it POSTed the accepted decision again and again.
    await expect.poll(() => outcomes).toEqual(['completed'])
    expect(isc.received).toHaveLength(1)
  })

  it('callback context sealed: a network error is retried, then completed', async () => {
    subscribe('isc-triggers:callback', { start: (context) => Object.seal(context) })
    let calls = 0
    const isc = await loopback((_req, res) => {
      if (++calls === 1) res.socket?.destroy()
      else res.writeHead(200).end()
    })
    const { receiver, outcomes } = asyncTo(isc.origin)
    await receiver.handle(preApprovalDelivery('inv-sealed', { origin: isc.origin }))
    await expect.poll(() => outcomes.length).toBe(1)
    expect(outcomes).toEqual(['completed']) // was ['expired']: "Cannot add property error, object is not extensible"
  })
})
