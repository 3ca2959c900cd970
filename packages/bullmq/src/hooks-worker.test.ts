import { AsyncLocalStorage } from 'node:async_hooks'
import { tracingChannel } from 'node:diagnostics_channel'
import { createTriggerReceiver, type TriggerReceiver, type WrapHandler } from '@isc-triggers/core'
import { deliver, type FakeIsc, startFakeIsc } from '@isc-triggers/testing'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { bullmqQueue } from './bullmq-queue.js'
import { deliverIdentity, PRE_APPROVAL, TOKEN } from './queue-fixture.test-helper.js'
import { connection, describeWithRedis, TEST_SEAL_KEY, uniqueQueueName } from './redis.test-helper.js'
import { startTriggerWorker, type TriggerWorker } from './trigger-worker.js'

// Receiver hooks with a queue: the worker runs each stored delivery's handler inside
// hooks.wrapHandler (its AsyncLocalStorage is the handler's), and the web side's delivery is
// one `isc-triggers:delivery` context, queued, 200, with no handler (and no wrapper) run there.

const DECISION = { approved: true, comment: 'decided in the worker', approver: 'worker' }

describeWithRedis('receiver hooks with a BullMQ queue', () => {
  const als = new AsyncLocalStorage<string>()
  let name: string
  let isc: FakeIsc
  let worker: TriggerWorker | undefined
  const receivers: TriggerReceiver[] = []
  const wrapped: string[] = []
  const seen: (string | undefined)[] = []

  const wrapHandler: WrapHandler = (ctx, run) => {
    wrapped.push(ctx.trigger.id)
    return als.run(`wrapped ${ctx.trigger.id}`, run)
  }

  function build(): TriggerReceiver {
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TOKEN] },
      logger: false,
      completion: { allowedCallbackOrigins: [isc.origin] },
      queue: bullmqQueue({ connection: connection(), name, sealKey: TEST_SEAL_KEY }),
      hooks: { wrapHandler },
    })
    receiver.on('idn:identity-created', async () => {
      seen.push(als.getStore())
      await Promise.resolve()
      seen.push(als.getStore())
    })
    receiver.on(
      PRE_APPROVAL,
      async () => {
        seen.push(als.getStore())
        return DECISION
      },
      { mode: 'async' },
    )
    receivers.push(receiver)
    return receiver
  }

  /** Records each delivery context the channel publishes: its events, and its fields at the last one. */
  function recordDeliveries() {
    const events: { event: string; context: object; fields: Record<string, unknown> }[] = []
    const on = (event: string) => (context: object) =>
      void events.push({ event, context, fields: { ...context } })
    const subscribers = {
      start: on('start'),
      end: on('end'),
      asyncStart: on('asyncStart'),
      asyncEnd: on('asyncEnd'),
      error: on('error'),
    }
    const channel = tracingChannel<unknown, object>('isc-triggers:delivery')
    channel.subscribe(subscribers)
    return { events, stop: () => channel.unsubscribe(subscribers) }
  }

  beforeEach(async () => {
    isc = await startFakeIsc()
    name = uniqueQueueName()
    wrapped.length = 0
    seen.length = 0
  })

  afterEach(async () => {
    await worker?.close()
    worker = undefined
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
    await isc.close()
  })

  it('a fire-and-forget delivery: one queued 200 context on the web side; the worker runs the handler inside wrapHandler', async () => {
    const web = build()
    const recorded = recordDeliveries()
    let reply: Awaited<ReturnType<typeof deliverIdentity>>
    try {
      reply = await deliverIdentity(web, 'hooks-1')
    } finally {
      recorded.stop()
    }
    expect(reply.status).toBe(200)
    const contexts = new Set(recorded.events.map((e) => e.context))
    expect(contexts.size).toBe(1)
    expect(recorded.events.filter((e) => e.event === 'start')).toHaveLength(1)
    expect(recorded.events.at(-1)?.fields).toMatchObject({
      trigger: 'idn:identity-created',
      type: 'fire-and-forget',
      queued: true,
      status: 200,
      errorCode: undefined,
    })
    expect(wrapped).toEqual([]) // no handler ran in the web process

    worker = startTriggerWorker(build())
    await expect.poll(() => seen.length, { timeout: 15_000 }).toBe(2)
    expect(wrapped).toEqual(['idn:identity-created'])
    expect(seen).toEqual(['wrapped idn:identity-created', 'wrapped idn:identity-created'])
  })

  it("an ASYNC delivery: the worker's handler runs inside wrapHandler and ISC gets its decision", async () => {
    const web = build()
    const reply = await deliver(web, PRE_APPROVAL, undefined, { bearer: TOKEN, mode: 'async', isc })
    expect(reply.status).toBe(200)
    worker = startTriggerWorker(build())
    const completion = await reply.completion
    expect(completion?.body).toMatchObject({ output: DECISION })
    expect(wrapped).toEqual([PRE_APPROVAL])
    expect(seen).toEqual([`wrapped ${PRE_APPROVAL}`])
  })
})
