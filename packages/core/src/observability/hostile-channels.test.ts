import { AsyncLocalStorage } from 'node:async_hooks'
import { tracingChannel } from 'node:diagnostics_channel'
import { describe, expect, it } from 'vitest'
import { aborted, gate, loopback } from '../callbacks/loopback.test-helper.js'
import { createMemoryDedupeStore } from '../dedupe/dedupe.js'
import { bearer } from '../fixtures.test-helper.js'
import { toNodeHandler } from '../node/node-handler.js'
import { memoryQueue, turns } from '../queue/memory-queue.test-helper.js'
import { approval, approvalBody, headers, post } from '../queue/queue-fixtures.test-helper.js'
import type { TriggerReceiver, TriggerReceiverOptions, TriggerRequest } from '../receiver/receiver.js'
import type { TriggerContext } from '../types.js'
import {
  identityBody,
  PAYLOAD_VALUE,
  postInTwoChunks,
  preApprovalDelivery,
  recordCallbacks,
  recordDeliveries,
  serve,
  testReceiver,
} from './channel-recorder.test-helper.js'
import type { CallbackTraceContext, DeliveryTraceContext } from './channels.js'
import type { ReceiverHooks } from './hooks.js'
import {
  catchUncaught,
  closers,
  DECISION,
  FALLBACK,
  never,
  observeDeliveries,
  tracked,
} from './hostile.test-helper.js'

// Hostile channel subscribers and store transforms, and each delivery's trace on every path: every
// event is handled once, the trace is well formed, the outcome is right, concurrent deliveries do not mix.

describe('hostile channel subscribers and store transforms', () => {
  it('subscribers that throw at every event, transforms that throw, one that leaves mid-delivery: the same replies, each handler once, the callback completed', async () => {
    const answered = new Set<string>() // each invocation's first callback gets a 503
    const isc = await loopback((request, res) => {
      res.writeHead(answered.has(request.path) ? 200 : 503).end()
      answered.add(request.path)
    })
    const run = async (hostile: boolean) => {
      const handled: string[] = []
      const reports: string[] = []
      const receiver = tracked({
        completion: {
          allowedCallbackOrigins: [isc.origin],
          retry: { baseDelayMs: 1, maxDelayMs: 2 },
          onCompletion: (report) => void reports.push(report.outcome),
        },
      })
      receiver.on('idn:identity-created', async (input) => {
        handled.push(`event ${input.identity.name}`)
        if (input.identity.name === 'fail') throw new Error('downstream failed')
      })
      receiver.on(
        'idn:access-request-pre-approval',
        async (_input, ctx) => {
          handled.push(`decision ${ctx.invocation?.invocationId}`)
          return DECISION
        },
        { mode: 'async' },
      )
      const requests = [
        post('identity-created', identityBody()),
        post('identity-created', {
          ...identityBody(),
          identity: { type: 'IDENTITY', id: 'x', name: 'fail' },
        }),
        post('identity-created', { identity: {} }),
        {
          ...post('identity-created', identityBody()),
          headers: { ...headers, authorization: bearer('nope') },
        },
        preApprovalDelivery(hostile ? 'inv-hostile' : 'inv-plain', { origin: isc.origin }),
      ]
      const replies = []
      for (const request of requests) {
        const { status, body } = await receiver.handle(request)
        replies.push({ status, body })
      }
      await expect.poll(() => reports).toEqual(['completed'])
      return { replies, handled: handled.map((h) => h.replace('inv-hostile', 'inv-plain')) }
    }
    const plain = await run(false)

    const uncaught = catchUncaught()
    const thrown = new Set<unknown>()
    const thrower = () => {
      const error = new Error('subscriber broken')
      thrown.add(error)
      throw error
    }
    const events = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const
    const throwing = Object.fromEntries(events.map((e) => [e, thrower]))
    const delivery = tracingChannel<unknown, DeliveryTraceContext>('isc-triggers:delivery')
    const callback = tracingChannel<unknown, CallbackTraceContext>('isc-triggers:callback')
    const leaving = {
      ...Object.fromEntries(events.map((e) => [e, () => {}])),
      start: () => delivery.unsubscribe(leaving as never),
    }
    const storeA = new AsyncLocalStorage()
    const storeB = new AsyncLocalStorage()
    delivery.subscribe(throwing as never)
    delivery.subscribe(leaving as never)
    callback.subscribe(throwing as never)
    delivery.start.bindStore(storeA, thrower)
    callback.start.bindStore(storeB, thrower)
    try {
      const hostile = await run(true)
      expect(hostile).toEqual(plain)
    } finally {
      delivery.unsubscribe(throwing as never)
      delivery.unsubscribe(leaving as never)
      callback.unsubscribe(throwing as never)
      delivery.start.unbindStore(storeA)
      callback.start.unbindStore(storeB)
    }
    await turns()
    expect(uncaught.caught.length).toBeGreaterThan(0)
    for (const error of uncaught.caught) expect(thrown.has(error)).toBe(true)
  })
})

describe('event order, outcome and onDelivery on every path', () => {
  /** A body that arrives in chunks, over a few turns; `stall` never ends it. */
  function streamed(text: string, stall = false): AsyncIterable<Uint8Array> {
    return {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < text.length; i += 16) {
          await turns(1)
          yield Buffer.from(text.slice(i, i + 16))
        }
        if (stall) await never
      },
    }
  }
  const identityText = JSON.stringify(identityBody())
  const slowHook = async () => {
    await turns(3)
  }
  type Path = [
    string,
    Partial<TriggerReceiverOptions>,
    (r: TriggerReceiver, origin: string) => TriggerRequest | Promise<TriggerRequest>,
    number,
  ]
  const onIdentity = (r: TriggerReceiver) => r.on('idn:identity-created', async () => {})
  const paths: Path[] = [
    [
      'streamed body',
      {},
      (r) => {
        onIdentity(r)
        return { ...post('identity-created', null), body: streamed(identityText) }
      },
      200,
    ],
    [
      'streamed body over the limit (413)',
      { bodyLimit: 64 },
      (r) => {
        onIdentity(r)
        return { ...post('identity-created', null), body: streamed(identityText) }
      },
      413,
    ],
    [
      'streamed body that stalls (408), onRejected slow',
      { bodyTimeoutMs: 20, onRejected: slowHook },
      (r) => {
        onIdentity(r)
        return { ...post('identity-created', null), body: streamed(identityText, true) }
      },
      408,
    ],
    [
      'a custom async verifier says no (401)',
      { auth: { type: 'custom', verify: async () => false } },
      (r) => {
        onIdentity(r)
        return post('identity-created', identityBody())
      },
      401,
    ],
    [
      'a custom async verifier says yes',
      { auth: { type: 'custom', verify: async () => true } },
      (r) => {
        onIdentity(r)
        return post('identity-created', identityBody())
      },
      200,
    ],
    [
      'schema violation with a slow onRejected (400)',
      { onRejected: slowHook },
      (r) => {
        onIdentity(r)
        return post('identity-created', { identity: { name: PAYLOAD_VALUE } })
      },
      400,
    ],
    [
      'a stream of the wrong type, read for onRejected (415)',
      { onRejected: slowHook },
      (r) => {
        onIdentity(r)
        return {
          ...post('identity-created', null),
          headers: { ...headers, 'content-type': 'text/plain' },
          body: streamed(identityText),
        }
      },
      415,
    ],
    [
      'stored in the queue',
      { queue: memoryQueue() },
      (r) => {
        onIdentity(r)
        return post('identity-created', identityBody())
      },
      200,
    ],
    [
      'the queue refuses it (503)',
      { queue: memoryQueue({ behaviour: 'reject' }) },
      (r) => {
        onIdentity(r)
        return post('identity-created', identityBody())
      },
      503,
    ],
    [
      'after close(), onRejected slow (503)',
      { onRejected: slowHook },
      async (r) => {
        onIdentity(r)
        await r.close()
        return post('identity-created', identityBody())
      },
      503,
    ],
    [
      'SYNC past its budget, with a fallback',
      {},
      (r) => {
        r.on(
          'idn:access-request-pre-approval',
          async (_input, ctx) => {
            await aborted(ctx.signal)
            return DECISION
          },
          { timeoutMs: 10, fallback: FALLBACK },
        )
        return preApprovalDelivery('inv-fallback')
      },
      200,
    ],
    [
      'SYNC past its budget, no fallback (504)',
      {},
      (r) => {
        r.on(
          'idn:access-request-pre-approval',
          async (_input, ctx) => {
            await aborted(ctx.signal)
            return DECISION
          },
          { timeoutMs: 10 },
        )
        return preApprovalDelivery('inv-504')
      },
      504,
    ],
    [
      'DYNAMIC deferred (202)',
      {},
      (r, origin) => {
        r.on(
          'idn:access-request-pre-approval',
          (_input, ctx) => {
            ctx.defer()
            return DECISION
          },
          { mode: 'dynamic' },
        )
        return preApprovalDelivery('inv-dynamic', { origin })
      },
      202,
    ],
    [
      'ASYNC',
      {},
      (r, origin) => {
        r.on('idn:access-request-pre-approval', async () => DECISION, { mode: 'async' })
        return preApprovalDelivery('inv-async', { origin })
      },
      200,
    ],
    [
      'a wrapped handler that rejects (500)',
      { hooks: { wrapHandler: async (_ctx, run) => run() } },
      (r) => {
        r.on('idn:identity-created', async () => {
          throw new Error('downstream failed')
        })
        return post('identity-created', identityBody())
      },
      500,
    ],
  ]

  it.each(paths)('%s', async (name, options, prepare, status) => {
    const isc = await loopback((_req, res) => res.writeHead(200).end())
    const seen = observeDeliveries()
    const hooks = [seen.hooks, ...(options.hooks ? [options.hooks as ReceiverHooks] : [])]
    const receiver = tracked({
      ...options,
      hooks,
      completion: { allowedCallbackOrigins: [isc.origin] },
    })
    const request = await prepare(receiver, isc.origin)
    const { reply, context } = await seen.send(receiver, request)
    expect(reply.status).toBe(status)
    await seen.told(1)
    seen.check(context, reply)
    // Resolved from the URL, unless the receiver stops before (401, 503 after close(), 415).
    const unresolved = [401, 415].includes(status) || name.startsWith('after close()')
    expect(context?.trigger).toBe(unresolved ? undefined : `idn:${request.trigger}`)
  })

  it('a duplicate while the first is running (409): each delivery checked, the duplicate told first', async () => {
    const seen = observeDeliveries()
    const release = gate()
    const receiver = tracked({ hooks: seen.hooks, dedupe: { store: createMemoryDedupeStore() } })
    receiver.on('idn:access-request-pre-approval', async () => {
      await release.promise
      return DECISION
    })
    const first = seen.send(receiver, preApprovalDelivery('inv-dup'))
    await turns()
    const duplicate = await seen.send(receiver, preApprovalDelivery('inv-dup'))
    expect(duplicate.reply.status).toBe(409)
    release.open()
    const original = await first
    expect(original.reply.status).toBe(200)
    expect((await seen.told(2)).map((e) => e.status)).toEqual([409, 200])
    seen.check(duplicate.context, duplicate.reply)
    seen.check(original.context, original.reply)
  })
})

describe('DYNAMIC stored for a worker', () => {
  it('decided by the worker within the budget: 200 with the decision, queued, told once after the reply', async () => {
    const isc = await loopback()
    const queue = memoryQueue()
    const seen = observeDeliveries()
    const receiver = tracked({
      queue,
      hooks: seen.hooks,
      completion: { allowedCallbackOrigins: [isc.origin] },
    })
    receiver.on('idn:access-request-pre-approval', async () => DECISION, { mode: 'dynamic' })
    const sending = seen.send(receiver, preApprovalDelivery('inv-queued', { origin: isc.origin }))
    await expect.poll(() => queue.watches[0]?.waitedMs).toBeDefined()
    queue.watches[0]!.decide({ output: DECISION })
    const { reply, context } = await sending
    expect(JSON.parse(reply.body)).toEqual(DECISION)
    await seen.told(1)
    seen.check(context, reply)
    expect(context?.queued).toBe(true)
  })
})

describe('callback attempts on every outcome', () => {
  type Answer = number | 'hang'
  /** ISC answering each callback in turn (the last answer repeats), and a token endpoint. */
  const scripted = (answers: Answer[]) => {
    let calls = 0
    return loopback((request, res) => {
      if (request.path === '/oauth/token')
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: `tok-${calls}` }))
      const answer = answers[Math.min(calls++, answers.length - 1)]!
      if (answer === 'hang') return
      res.writeHead(answer, answer === 302 ? { location: 'https://elsewhere.example/' } : {}).end()
    })
  }
  it.each<[string, Answer[], [outcome: string, status: number | undefined, error: boolean][]]>([
    ['accepted', [204], [['completed', 204, false]]],
    ['refused (400)', [400], [['rejected', 400, false]]],
    ['a redirect', [302], [['rejected', 302, false]]],
    [
      '429, 500, then accepted',
      [429, 500, 200],
      [
        ['retry', 429, false],
        ['retry', 500, false],
        ['completed', 200, false],
      ],
    ],
    [
      '401 with a token: refreshed, then accepted',
      [401, 200],
      [
        ['retry', 401, false],
        ['completed', 200, false],
      ],
    ],
    [
      'no answer within the attempt time-out, then accepted',
      ['hang', 200],
      [
        ['retry', undefined, true],
        ['completed', 200, false],
      ],
    ],
    ['close() during an attempt', ['hang'], [['abandoned', undefined, false]]],
  ])(
    '%s: one well-formed trace per attempt, numbered, its outcome set before asyncEnd',
    async (name, answers, expected) => {
      const isc = await scripted(answers)
      const callbacks = recordCallbacks()
      const receiver = testReceiver({
        completion: {
          allowedCallbackOrigins: [isc.origin],
          clientId: 'client',
          clientSecret: 'client-secret-Jd40',
          // Only the time-out case waits for an attempt's limit; no answer may ever race it.
          attemptTimeoutMs: name.includes('time-out') ? 50 : 60_000,
          retry: { baseDelayMs: 1, maxDelayMs: 2 },
        },
      })
      closers.push(() => receiver.close({ timeoutMs: 50 }))
      receiver.on('idn:access-request-pre-approval', async () => DECISION, { mode: 'async' })
      await receiver.handle(preApprovalDelivery('inv-cb', { origin: isc.origin, secret: 'cb-secret-Mq72' }))
      if (name.startsWith('close()')) {
        await expect.poll(() => isc.received.filter((r) => r.path !== '/oauth/token').length).toBe(1)
        expect(await receiver.close({ timeoutMs: 20 })).toMatchObject({ callbacks: 1 })
      }
      const ended = () => callbacks.events.filter((e) => e.event === 'asyncEnd').length
      await expect.poll(ended, { timeout: 10_000 }).toBe(expected.length)
      const contexts = callbacks.started()
      expect(contexts).toHaveLength(expected.length)
      contexts.forEach((context, i) => {
        const events = callbacks.events.filter((e) => e.context === context)
        const sequence = events.map((e) => e.event)
        const [outcome, status, error] = expected[i]!
        expect(sequence).toEqual(
          error
            ? ['start', 'end', 'error', 'asyncStart', 'asyncEnd']
            : ['start', 'end', 'asyncStart', 'asyncEnd'],
        )
        expect(events[0]!.snapshot).toMatchObject({ attempt: i + 1, outcome: undefined, status: undefined })
        expect(callbacks.last(context)).toMatchObject({
          trigger: 'idn:access-request-pre-approval',
          invocationId: 'inv-cb',
          attempt: i + 1,
          outcome,
          status,
        })
      })
      for (const secret of ['cb-secret-Mq72', 'client-secret-Jd40', 'tok-'])
        expect(callbacks.text()).not.toContain(secret)
    },
  )
})

describe('concurrent deliveries through node:http, with a tracer store bound to the delivery channel', () => {
  it('every handler, every callback attempt and every reply belongs to its own delivery', async () => {
    const count = 12
    const als = new AsyncLocalStorage<DeliveryTraceContext>()
    const start = tracingChannel<unknown, DeliveryTraceContext>('isc-triggers:delivery').start
    start.bindStore(als, (context) => context)
    closers.push(async () => start.unbindStore(als))
    const deliveries = recordDeliveries()
    const attempts: string[][] = []
    const callbacks = tracingChannel<unknown, CallbackTraceContext>('isc-triggers:callback')
    const onAttempt = {
      start: (c: CallbackTraceContext) =>
        attempts.push([
          `${c.trigger} ${c.invocationId}`,
          `${als.getStore()?.trigger} ${als.getStore()?.invocationId}`,
        ]),
    }
    callbacks.subscribe(onAttempt as never)
    closers.push(async () => callbacks.unsubscribe(onAttempt as never))

    // ISC: a token, then 503 on each invocation's first callback and 200 on its second.
    const answered = new Set<string>()
    const isc = await loopback((request, res) => {
      if (request.path === '/oauth/token')
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: 'tok', expires_in: 3600 }))
      const first = !answered.has(request.path)
      answered.add(request.path)
      res.writeHead(first ? 503 : 200).end()
    })
    const completed: string[] = []
    const receiver = tracked({
      completion: {
        allowedCallbackOrigins: [isc.origin],
        clientId: 'client',
        clientSecret: 'client-secret',
        retry: { baseDelayMs: 1, maxDelayMs: 3 },
        onCompletion: (report) =>
          void (report.outcome === 'completed' && completed.push(report.invocationId!)),
      },
    })
    const gates = new Map<string, ReturnType<typeof gate>>()
    const mismatches: string[] = []
    const inStore = async (ctx: TriggerContext) => {
      const id = ctx.invocation?.invocationId ?? ''
      const check = () => {
        if (als.getStore()?.invocationId !== id)
          mismatches.push(`${id} ran in ${als.getStore()?.invocationId}`)
      }
      check()
      await gates.get(id)!.promise
      check()
      return id
    }
    receiver.on(
      'idn:access-request-pre-approval',
      async (_input, ctx) => ({
        approved: true,
        comment: await inStore(ctx),
        approver: 'svc',
      }),
      { mode: 'async' },
    )
    receiver.on(approval, async (_input, ctx) => ({ approved: true, comment: await inStore(ctx) }), {
      timeoutMs: 10_000, // the longest budget: it does not race the gates below
    })
    const server = await serve(toNodeHandler(receiver))
    closers.push(server.close)

    const ids: string[] = []
    const pending: Promise<{ id: string; status: number; text: string }>[] = []
    const allStarted = () =>
      expect.poll(() => deliveries.started().length, { timeout: 10_000, interval: 1 }).toBe(2 * count)
    for (let i = 0; i < count; i++)
      for (const kind of ['async', 'sync'] as const) {
        const id = `${kind}-${i}`
        ids.push(id)
        gates.set(id, gate())
        const [path, body] =
          kind === 'async'
            ? [
                'access-request-pre-approval',
                JSON.parse(preApprovalDelivery(id, { origin: isc.origin, secret: `secret-${id}` }).body),
              ]
            : ['approval', approvalBody({ invocationId: id })]
        pending.push(
          postInTwoChunks(`${server.origin}/${path}`, headers, JSON.stringify(body), allStarted).then(
            (r) => ({ id, ...r }),
          ),
        )
      }
    await allStarted()
    for (const id of [...ids].reverse()) gates.get(id)!.open()
    const replies = await Promise.all(pending)
    await expect.poll(() => completed.length, { timeout: 10_000 }).toBe(count)

    expect(mismatches).toEqual([])
    for (const { id, status, text } of replies) {
      expect(status).toBe(200)
      if (id.startsWith('sync')) expect(JSON.parse(text)).toEqual({ approved: true, comment: id })
    }
    const contexts = deliveries.started().map((c) => `${c.trigger} ${c.invocationId}`)
    expect(contexts.sort()).toEqual(
      ids
        .map((id) => `${id.startsWith('sync') ? 'acme:approval' : 'idn:access-request-pre-approval'} ${id}`)
        .sort(),
    )
    expect(attempts).toHaveLength(2 * count)
    for (const [attempt, store] of attempts) expect(store).toBe(attempt)
    const posts = isc.received.filter((r) => r.path !== '/oauth/token')
    for (const post of posts) {
      const id = /trigger-invocations\/([^/]+)\/complete/.exec(post.path)![1]!
      expect(JSON.parse(post.body)).toEqual({
        secret: `secret-${id}`,
        output: { approved: true, comment: id, approver: 'svc' },
      })
    }
  })
})
