import { AsyncLocalStorage } from 'node:async_hooks'
import { tracingChannel } from 'node:diagnostics_channel'
import { inspect } from 'node:util'
import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { aborted, closeLoopbacks, gate, loopback } from '../callbacks/loopback.test-helper.js'
import { createMemoryDedupeStore } from '../dedupe/dedupe.js'
import { bearer } from '../fixtures.test-helper.js'
import { toNodeHandler } from '../node/node-handler.js'
import { memoryQueue, turns } from '../queue/memory-queue.test-helper.js'
import { approval, approvalBody, headers, post } from '../queue/queue-fixtures.test-helper.js'
import type { TriggerReceiver, TriggerReceiverOptions, TriggerRequest } from '../receiver/receiver.js'
import type { TriggerContext, TriggerLogger } from '../types.js'
import {
  describeError,
  identityBody,
  lineLogger,
  PAYLOAD_VALUE,
  postInTwoChunks,
  preApprovalDelivery,
  recordCallbacks,
  recordDeliveries,
  serve,
  testReceiver,
} from './channel-recorder.test-helper.js'
import type { CallbackTraceContext, DeliveryTraceContext } from './channels.js'
import type { DeliveryEvent, ReceiverHooks, WrapHandler } from './hooks.js'
import { catchUncaught, observeDeliveries } from './hostile.test-helper.js'

// Hostile hooks, subscribers and loggers against the observability features: whatever they do, a
// reply and a callback stay what they would be without them, every event is handled once, nothing
// secret reaches an observer or a log line, and each delivery's trace is well formed on every path.
// (The bugs found this way, now fixed, have their regression tests in hostile-fixes.test.ts.)

const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  await closeLoopbacks()
})

const DECISION = { approved: true, comment: 'from the handler', approver: 'svc' }
const FALLBACK = { approved: false, comment: 'fallback', approver: 'svc' }
const HOOK_THREW = 'A hook failed: wrapHandler threw; the handler kept its own outcome'
const HOOK_SKIPPED = 'A hook failed: wrapHandler returned without calling run(); the handler ran after it'
const never = new Promise<never>(() => {})

function tracked(options: Partial<TriggerReceiverOptions>): TriggerReceiver {
  const receiver = testReceiver(options)
  closers.push(() => receiver.close({ timeoutMs: 50 }))
  return receiver
}

/** A receiver whose SYNC pre-approval handler counts its runs and returns DECISION. */
function syncReceiver(hooks: ReceiverHooks | ReceiverHooks[], handler: () => unknown = () => DECISION) {
  const logger = lineLogger()
  const runs = vi.fn(handler)
  const receiver = tracked({ hooks, logger })
  receiver.on('idn:access-request-pre-approval', runs as () => typeof DECISION)
  return { receiver, runs, messages: () => logger.lines.map((line) => line.message) }
}

describe('hostile wrapHandler: the handler runs once and its outcome is the reply', () => {
  let later: unknown
  it.each<[string, WrapHandler, string[]]>([
    [
      'an async generator function (its body never runs)',
      // biome-ignore lint/correctness/useYield: a wrapper that yields nothing is the point
      async function* (_ctx: unknown, run: () => unknown) {
        run()
      } as unknown as WrapHandler,
      [HOOK_SKIPPED],
    ],
    [
      'run() called later in a timer, not awaited',
      (_ctx, run) => {
        setTimeout(() => {
          later = run()
        })
      },
      [HOOK_SKIPPED],
    ],
    [
      'run() called after a few turns, then a throw',
      async (_ctx, run) => {
        await turns(2)
        await run()
        throw new Error('tracer broken')
      },
      [HOOK_THREW],
    ],
    [
      'a thenable whose then() throws',
      (_ctx, run) => {
        run()
        return {
          // biome-ignore lint/suspicious/noThenProperty: a hostile thenable
          then() {
            throw new Error('then broke')
          },
        }
      },
      [HOOK_THREW],
    ],
    [
      'a throw of null after run()',
      (_ctx, run) => {
        run()
        throw null
      },
      [HOOK_THREW],
    ],
  ])('%s', async (_name, wrapHandler, logged) => {
    later = undefined
    const { receiver, runs, messages } = syncReceiver({ wrapHandler })
    const reply = await receiver.handle(preApprovalDelivery('inv-wrap'))
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body)).toEqual(DECISION)
    expect(runs).toHaveBeenCalledTimes(1)
    expect(messages()).toEqual(logged)
    if (_name.includes('timer')) {
      await expect.poll(() => later).toEqual(DECISION) // the late run() gets the same outcome
      expect(runs).toHaveBeenCalledTimes(1)
    }
  })

  it('hooks are read once, at createTriggerReceiver: changing the array or the objects later changes nothing', async () => {
    const told: DeliveryEvent[] = []
    const late = vi.fn()
    const hook: ReceiverHooks = { onDelivery: (event) => void told.push(event) }
    const hooks = [hook]
    const { receiver } = syncReceiver(hooks)
    hooks.push({ onDelivery: late, wrapHandler: late })
    hook.onDelivery = late
    expect((await receiver.handle(preApprovalDelivery('inv-mutated'))).status).toBe(200)
    expect(told).toHaveLength(1)
    expect(late).not.toHaveBeenCalled()
  })

  it("DYNAMIC: a wrapper that rejects after run() around a handler that defers: 202, then the handler's decision by callback", async () => {
    const isc = await loopback((_req, res) => res.writeHead(200).end())
    const logger = lineLogger()
    const release = gate()
    const receiver = tracked({
      logger,
      completion: { allowedCallbackOrigins: [isc.origin] },
      hooks: {
        wrapHandler: async (_ctx, run) => {
          await run()
          throw new Error('tracer broken')
        },
      },
    })
    receiver.on(
      'idn:access-request-pre-approval',
      async (_input, ctx) => {
        ctx.defer()
        await release.promise
        return DECISION
      },
      { mode: 'dynamic' },
    )
    const reply = await receiver.handle(
      preApprovalDelivery('inv-dyn', { origin: isc.origin, secret: 'dyn-s' }),
    )
    expect(reply.status).toBe(202)
    release.open()
    const [callback] = await isc.until(1)
    expect(JSON.parse(callback!.body)).toEqual({ secret: 'dyn-s', output: DECISION })
    await expect.poll(() => logger.lines.map((l) => l.message)).toEqual([HOOK_THREW])
  })

  it('ASYNC: a wrapper that throws before run(): 200, the handler runs once, its decision goes by callback', async () => {
    const isc = await loopback((_req, res) => res.writeHead(200).end())
    const runs = vi.fn(async () => DECISION)
    const receiver = tracked({
      completion: { allowedCallbackOrigins: [isc.origin] },
      hooks: {
        wrapHandler: () => {
          throw new Error('tracer broken')
        },
      },
    })
    receiver.on('idn:access-request-pre-approval', runs, { mode: 'async' })
    expect(
      (await receiver.handle(preApprovalDelivery('inv-a', { origin: isc.origin, secret: 'a-s' }))).status,
    ).toBe(200)
    const [callback] = await isc.until(1)
    expect(JSON.parse(callback!.body)).toEqual({ secret: 'a-s', output: DECISION })
    expect(runs).toHaveBeenCalledTimes(1)
  })

  it.each<
    [
      string,
      (
        r: TriggerReceiver,
        handler: (input: unknown, ctx: TriggerContext) => Promise<unknown>,
      ) => TriggerRequest,
    ]
  >([
    [
      'fire-and-forget',
      (r, handler) => {
        r.on('idn:identity-created', handler)
        return post('identity-created', identityBody())
      },
    ],
    [
      'SYNC',
      (r, handler) => {
        r.on('idn:access-request-pre-approval', handler as () => Promise<typeof DECISION>)
        return preApprovalDelivery('inv-close-sync')
      },
    ],
    [
      'ASYNC',
      (r, handler) => {
        r.on('idn:access-request-pre-approval', handler as () => Promise<typeof DECISION>, { mode: 'async' })
        return preApprovalDelivery('inv-close-async')
      },
    ],
  ])(
    '%s: close() during a wrapper that never settles ends at its timeout, and aborts the signal of the handler inside it',
    async (_name, register) => {
      const seen: TriggerContext[] = []
      const receiver = testReceiver({
        hooks: {
          wrapHandler: async (_ctx, run) => {
            await turns(1)
            await run()
            await never
          },
        },
      })
      const request = register(receiver, async (_input, ctx) => {
        seen.push(ctx)
        await aborted(ctx.signal)
        return DECISION
      })
      void receiver.handle(request)
      await expect.poll(() => seen.length).toBe(1)
      const report = await receiver.close({ timeoutMs: 30 })
      expect(report.handlers).toBe(1)
      expect(seen[0]!.signal.aborted).toBe(true)
    },
  )
})

describe('hostile onDelivery: the reply is the same, the next hook is told, close() does not wait', () => {
  const trap = () => {
    throw new Error('trap')
  }
  it.each<[string, (event: DeliveryEvent) => unknown]>([
    [
      'throws null',
      () => {
        throw null
      },
    ],
    [
      'throws a Proxy whose every trap throws',
      () => {
        throw new Proxy({}, { get: trap, getPrototypeOf: trap, has: trap, ownKeys: trap })
      },
    ],
    // biome-ignore lint/suspicious/noThenProperty: a hostile thenable
    ['returns a thenable whose then throws', () => ({ then: trap })],
    [
      'returns an object whose then getter throws',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable
        get then() {
          return trap()
        },
      }),
    ],
    [
      'writes to the event',
      (event) => {
        ;(event as { status: number }).status = 200
      },
    ],
    ['returns a promise that never settles', () => never],
  ])('%s', async (_name, onDelivery) => {
    const after: DeliveryEvent[] = []
    const plainReceiver = syncReceiver([], () => {
      throw new Error('handler broke')
    })
    const plain = await plainReceiver.receiver.handle(preApprovalDelivery('inv-od'))
    const { receiver } = syncReceiver(
      [{ onDelivery }, { onDelivery: (event) => void after.push(event) }],
      () => {
        throw new Error('handler broke')
      },
    )
    const reply = await receiver.handle(preApprovalDelivery('inv-od'))
    expect(reply).toEqual(plain)
    expect(after).toMatchObject([{ status: 500, code: 'HANDLER_FAILED', invocationId: 'inv-od' }])
    expect(await receiver.close({ timeoutMs: 10_000 })).toMatchObject({ abandoned: 0 })
  })
})

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

describe('no credential, secret or payload value reaches an observer or a log line', () => {
  const PASSWORD = 'basic-pass-Wq93'
  const WRONG_PASSWORD = 'guessed-pass-Lm27'
  const CLIENT_SECRET = 'client-secret-Xc51'
  const CALLBACK_SECRET = 'callback-secret-Hv08'
  const QUERY_SECRET = 'query-sig-Pz64'
  const TOKEN = 'access-token-Rt17'
  /** In the handler's own error: the log may show it (it is the service's), an observer never. */
  const HANDLER_DETAIL = 'no-mailbox-for-Kf33'
  const secrets = [
    PASSWORD,
    WRONG_PASSWORD,
    CLIENT_SECRET,
    CALLBACK_SECRET,
    QUERY_SECRET,
    TOKEN,
    PAYLOAD_VALUE,
  ]
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

  it.each<[string, () => { logger: TriggerLogger | undefined; text: () => string }]>([
    [
      'pino',
      () => {
        const lines: string[] = []
        const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) })
        return { logger, text: () => lines.join('\n') }
      },
    ],
    [
      'a console-style logger',
      () => {
        const logger = lineLogger()
        return { logger, text: () => inspect(logger.lines, { depth: 20, showHidden: true }) }
      },
    ],
    [
      'the default (console)',
      () => {
        const calls: unknown[] = []
        vi.spyOn(console, 'error').mockImplementation((...args) => void calls.push(args))
        vi.spyOn(console, 'warn').mockImplementation((...args) => void calls.push(args))
        closers.push(async () => vi.restoreAllMocks())
        return { logger: undefined, text: () => inspect(calls, { depth: 20, showHidden: true }) }
      },
    ],
  ])('%s', async (_name, makeLogger) => {
    const { logger, text } = makeLogger()
    const deliveries = recordDeliveries()
    const callbacks = recordCallbacks()
    const told: unknown[] = []
    const reports: unknown[] = []
    // The token comes from a live endpoint; the callback URL's origin is closed (network errors),
    // and it carries a query, as a signed URL would.
    const tokens = await loopback((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: TOKEN })),
    )
    const gone = await loopback()
    await gone.close()
    const receiver = testReceiver({
      // undefined: the receiver's default, console (testReceiver's own default is silent)
      logger,
      auth: { type: 'basic', credentials: [{ username: 'isc', password: PASSWORD }] },
      hooks: [
        { onDelivery: (event) => void told.push(event) },
        {
          wrapHandler: (_ctx, run) => {
            run()
            throw new Error('tracer broken')
          },
        },
      ],
      completion: {
        allowedCallbackOrigins: [gone.origin],
        clientId: 'client',
        clientSecret: CLIENT_SECRET,
        tokenUrl: `${tokens.origin}/oauth/token`,
        retry: { baseDelayMs: 1, maxDelayMs: 2 },
        onCompletion: (report) => void reports.push(report),
      },
    })
    closers.push(() => receiver.close({ timeoutMs: 10 }))
    receiver.on('idn:identity-created', (input) => {
      if (input.identity.name === 'fail') throw new Error(`downstream failed: ${HANDLER_DETAIL}`)
    })
    receiver.on('idn:access-request-pre-approval', async () => DECISION, { mode: 'async' })
    const as = (request: TriggerRequest, authorization = basic('isc', PASSWORD)) => ({
      ...request,
      headers: { ...headers, authorization },
    })
    const asyncDelivery = preApprovalDelivery('inv-secret', { origin: gone.origin, secret: CALLBACK_SECRET })
    const body = JSON.parse(asyncDelivery.body)
    body._metadata.callbackURL += `?sig=${QUERY_SECRET}`
    const requests = [
      as(post('identity-created', identityBody()), basic('isc', WRONG_PASSWORD)),
      as(post('identity-created', identityBody()), `Bearer ${PASSWORD}`),
      as(post('identity-created', identityBody())),
      as(
        post('identity-created', {
          ...identityBody(),
          identity: { type: 'IDENTITY', id: 'x', name: 'fail' },
        }),
      ),
      as(post('identity-created', { identity: { id: 7, name: PAYLOAD_VALUE } })),
      as({ ...post('identity-created', null), body: `{"identity": ${PAYLOAD_VALUE}}` }),
      as({ ...asyncDelivery, body: JSON.stringify(body) }),
    ]
    const statuses = []
    for (const request of requests) statuses.push((await receiver.handle(request)).status)
    expect(statuses).toEqual([401, 401, 200, 500, 400, 400, 200])
    // A few failed attempts (network errors), then the run is stopped: its report is logged.
    await expect.poll(() => callbacks.events.filter((e) => e.event === 'error').length).toBeGreaterThan(1)
    await receiver.close({ timeoutMs: 10 })
    expect(reports).toMatchObject([{ outcome: 'abandoned' }])

    const observed = [
      deliveries.text(),
      callbacks.text(),
      inspect(told, { depth: 20 }),
      inspect(reports, { depth: 20 }),
      JSON.stringify(callbacks.events.map((e) => describeError(e.context.error))),
    ].join('\n')
    expect(text()).toContain('tracer broken') // the logger did receive the lines
    for (const secret of secrets) expect(`${text()}\n${observed}`).not.toContain(secret)
    expect(`${text()}\n${observed}`).not.toContain(Buffer.from(`isc:${WRONG_PASSWORD}`).toString('base64'))
    expect(observed).not.toContain(HANDLER_DETAIL)
  })
})

describe('loggers that are not what they look like', () => {
  const failing = (hooks: ReceiverHooks[], logger: TriggerLogger) => {
    const receiver = tracked({ logger, hooks })
    const runs = vi.fn(() => DECISION)
    receiver.on('idn:access-request-pre-approval', runs)
    return { receiver, runs }
  }
  const brokenHooks: ReceiverHooks[] = [
    {
      onDelivery: () => {
        throw new Error('metrics down')
      },
    },
    {
      wrapHandler: () => {
        throw new Error('tracer broken')
      },
    },
  ]

  it('child() and bindings that are not functions: not pino, called message first', async () => {
    const lines: unknown[][] = []
    const logger = {
      child: 'no',
      bindings: {},
      error: (...args: unknown[]) => void lines.push(args),
      warn: (...args: unknown[]) => void lines.push(args),
    } as unknown as TriggerLogger
    const { receiver, runs } = failing(brokenHooks, logger)
    expect(JSON.parse((await receiver.handle(preApprovalDelivery('inv-log'))).body)).toEqual(DECISION)
    expect(runs).toHaveBeenCalledTimes(1)
    expect(lines).toMatchObject([
      [
        'A hook failed: wrapHandler threw; the handler kept its own outcome',
        { invocationId: 'inv-log', error: { message: 'tracer broken' } },
      ],
      [
        'An onDelivery hook failed; the reply was not changed',
        { invocationId: 'inv-log', error: { message: 'metrics down' } },
      ],
    ])
  })

  it('a pino child logger: hook failures are fields-first lines with the ids and err', async () => {
    const lines: Record<string, unknown>[] = []
    const root = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
    const { receiver, runs } = failing(brokenHooks, root.child({ component: 'isc' }))
    expect(JSON.parse((await receiver.handle(preApprovalDelivery('inv-log'))).body)).toEqual(DECISION)
    expect(runs).toHaveBeenCalledTimes(1)
    expect(lines).toMatchObject([
      { component: 'isc', invocationId: 'inv-log', err: { message: 'tracer broken' }, msg: HOOK_THREW },
      { component: 'isc', invocationId: 'inv-log', err: { message: 'metrics down' } },
    ])
  })

  // (A logger whose error and warn are not functions fails at start-up: verifier-failure.test.ts.)
  it.each<[string, TriggerLogger]>([
    [
      'a pino look-alike whose methods throw',
      {
        child: () => ({}),
        bindings: () => ({}),
        error: () => {
          throw new Error('stream closed')
        },
        warn: () => {
          throw new Error('stream closed')
        },
      } as unknown as TriggerLogger,
    ],
  ])('%s: failing hooks still change nothing', async (_name, logger) => {
    const { receiver, runs } = failing(brokenHooks, logger)
    expect(JSON.parse((await receiver.handle(preApprovalDelivery('inv-log'))).body)).toEqual(DECISION)
    expect(runs).toHaveBeenCalledTimes(1)
    expect((await receiver.handle(post('identity-created', { identity: {} }))).status).toBe(404)
  })
})
