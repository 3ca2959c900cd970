import { AsyncLocalStorage } from 'node:async_hooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { closeLoopbacks, loopback } from '../callbacks/loopback.test-helper.js'
import { memoryQueue, turns } from '../queue/memory-queue.test-helper.js'
import { headers, post, userCreated, userCreatedBody } from '../queue/queue-fixtures.test-helper.js'
import type { TriggerReceiverOptions } from '../receiver/receiver.js'
import {
  identityBody,
  lineLogger,
  preApprovalDelivery,
  testReceiver,
} from './channel-recorder.test-helper.js'
import type { ReceiverHooks, WrapHandler } from './hooks.js'

// hooks.wrapHandler: runs around every handler call, first hook outermost; the receiver uses what
// run() returned or threw, whatever the wrapper does; a wrapper's own failure is logged and changes
// nothing, and the handler runs exactly once.

afterEach(closeLoopbacks)

const INVOCATION = '7c2b9e1d-4f3a-4d5b-8e6f-0a1b2c3d4e5f'
const DECISION = { approved: true, comment: 'from the handler', approver: 'svc' }
const OTHER = { approved: false, comment: 'from the wrapper', approver: 'wrapper' }
const HOOK_THREW = 'A hook failed: wrapHandler threw; the handler kept its own outcome'
const HOOK_SKIPPED = 'A hook failed: wrapHandler returned without calling run(); the handler ran after it'

function syncDelivery() {
  return preApprovalDelivery(INVOCATION)
}

/** A receiver whose SYNC handler counts its runs and returns DECISION (or `handler`'s outcome). */
function wrapped(
  hooks: ReceiverHooks | ReceiverHooks[],
  handler: () => unknown = () => DECISION,
  options: Partial<TriggerReceiverOptions> = {},
) {
  const logger = lineLogger()
  const runs = vi.fn(handler)
  const receiver = testReceiver({ hooks, logger, ...options })
  receiver.on('idn:access-request-pre-approval', runs as () => typeof DECISION)
  return { receiver, logger, runs, messages: () => logger.lines.map((line) => line.message) }
}

describe('wrapHandler composition', () => {
  it('the first hook is the outermost; each sees the context; synchronous wrappers', async () => {
    const order: string[] = []
    const layer =
      (name: string): WrapHandler =>
      (ctx, run) => {
        order.push(`${name}> ${ctx.trigger.id} ${ctx.invocation?.invocationId}`)
        const value = run()
        order.push(`<${name}`)
        return value
      }
    const { receiver, runs } = wrapped(
      [{ wrapHandler: layer('outer') }, { wrapHandler: layer('inner') }],
      () => {
        order.push('handler')
        return DECISION
      },
    )
    const reply = await receiver.handle(syncDelivery())
    expect(JSON.parse(reply.body)).toEqual(DECISION)
    expect(runs).toHaveBeenCalledTimes(1)
    expect(order).toEqual([
      `outer> idn:access-request-pre-approval ${INVOCATION}`,
      `inner> idn:access-request-pre-approval ${INVOCATION}`,
      'handler',
      '<inner',
      '<outer',
    ])
  })

  it('async wrappers around an async handler: each awaits the next', async () => {
    const order: string[] = []
    const layer =
      (name: string): WrapHandler =>
      async (_ctx, run) => {
        order.push(`${name}>`)
        const value = await run()
        order.push(`<${name}`)
        return value
      }
    const { receiver } = wrapped(
      [{ wrapHandler: layer('outer') }, { wrapHandler: layer('inner') }],
      async () => {
        await turns(1)
        order.push('handler')
        return DECISION
      },
    )
    expect(JSON.parse((await receiver.handle(syncDelivery())).body)).toEqual(DECISION)
    expect(order).toEqual(['outer>', 'inner>', 'handler', '<inner', '<outer'])
  })
})

describe('what the receiver uses', () => {
  it.each<[string, WrapHandler]>([
    [
      'a sync wrapper',
      (_ctx, run) => {
        run()
        return OTHER
      },
    ],
    [
      'an async wrapper',
      async (_ctx, run) => {
        await run()
        return OTHER
      },
    ],
  ])(
    "%s returning something else: the SYNC reply is the handler's decision, nothing logged",
    async (_name, wrapHandler) => {
      const { receiver, messages } = wrapped({ wrapHandler })
      const reply = await receiver.handle(syncDelivery())
      expect(reply.status).toBe(200)
      expect(JSON.parse(reply.body)).toEqual(DECISION)
      expect(messages()).toEqual([])
    },
  )

  it.each<[string, WrapHandler, () => unknown]>([
    [
      'sync',
      (_ctx, run) => {
        try {
          run()
        } catch {}
        return OTHER
      },
      () => {
        throw new Error('handler broke')
      },
    ],
    [
      'async',
      async (_ctx, run) => {
        await Promise.resolve(run()).catch(() => {})
        return OTHER
      },
      async () => {
        throw new Error('handler broke')
      },
    ],
  ])(
    "a %s wrapper that swallows the handler's error: still the handler's 500",
    async (_name, wrapHandler, handler) => {
      const { receiver, messages } = wrapped({ wrapHandler }, handler)
      const reply = await receiver.handle(syncDelivery())
      expect(reply.status).toBe(500)
      expect(messages()).toEqual(['The handler of idn:access-request-pre-approval failed'])
    },
  )

  it('the reply waits for the wrapper to settle', async () => {
    let settled = false
    const { receiver } = wrapped({
      wrapHandler: async (_ctx, run) => {
        const value = run()
        await turns(2)
        settled = true
        return value
      },
    })
    await receiver.handle(syncDelivery())
    expect(settled).toBe(true)
  })
})

describe("a wrapper's own failure", () => {
  it.each<[string, WrapHandler]>([
    [
      'throws before run()',
      () => {
        throw new Error('tracer broken')
      },
    ],
    [
      'throws after run()',
      (_ctx, run) => {
        run()
        throw new Error('tracer broken')
      },
    ],
    [
      'rejects after run()',
      async (_ctx, run) => {
        await run()
        throw new Error('tracer broken')
      },
    ],
    ['rejects before run()', async () => Promise.reject(new Error('tracer broken'))],
  ])(
    '%s: the handler runs once, the reply is unchanged, the failure is logged with the ids',
    async (_name, wrapHandler) => {
      const plain = await wrapped([]).receiver.handle(syncDelivery())
      const { receiver, runs, logger } = wrapped({ wrapHandler })
      const reply = await receiver.handle(syncDelivery())
      expect(reply).toEqual(plain)
      expect(runs).toHaveBeenCalledTimes(1)
      expect(logger.lines).toEqual([
        {
          level: 'error',
          message: HOOK_THREW,
          details: {
            trigger: 'idn:access-request-pre-approval',
            invocationId: INVOCATION,
            error: { name: 'Error', message: 'tracer broken' },
          },
        },
      ])
    },
  )

  it.each<[string, WrapHandler]>([
    ['a sync wrapper', () => undefined],
    ['an async wrapper', async () => undefined],
  ])(
    '%s that never calls run(): the handler runs once anyway, and that is logged',
    async (_name, wrapHandler) => {
      const { receiver, runs, messages } = wrapped({ wrapHandler })
      const reply = await receiver.handle(syncDelivery())
      expect(JSON.parse(reply.body)).toEqual(DECISION)
      expect(runs).toHaveBeenCalledTimes(1)
      expect(messages()).toEqual([HOOK_SKIPPED])
    },
  )

  it('run() called twice: the handler runs once, both calls return its value', async () => {
    const values: unknown[] = []
    const { receiver, runs, messages } = wrapped({
      wrapHandler: (_ctx, run) => {
        values.push(run(), run())
        return values[0]
      },
    })
    expect(JSON.parse((await receiver.handle(syncDelivery())).body)).toEqual(DECISION)
    expect(runs).toHaveBeenCalledTimes(1)
    expect(values).toEqual([DECISION, DECISION])
    expect(messages()).toEqual([])
  })
})

describe("the handler's own failure passed on by a wrapper", () => {
  const recorded: unknown[] = []
  it.each<[string, WrapHandler, () => unknown]>([
    [
      'sync, run() rethrown',
      (_ctx, run) => run(),
      () => {
        throw new Error('handler broke')
      },
    ],
    [
      'sync, caught and rethrown',
      (_ctx, run) => {
        try {
          return run()
        } catch (error) {
          recorded.push(error) // as a tracer records it on its span
          throw error
        }
      },
      () => {
        throw new Error('handler broke')
      },
    ],
    [
      'sync wrapper returning run() of an async handler that rejects',
      (_ctx, run) => run(),
      async () => {
        throw new Error('handler broke')
      },
    ],
    [
      'async, awaited and rethrown',
      async (_ctx, run) => {
        try {
          return await run()
        } catch (error) {
          recorded.push(error) // as a tracer records it on its span
          throw error
        }
      },
      async () => {
        throw new Error('handler broke')
      },
    ],
  ])('%s: a 500, logged as the handler failing, not as a hook', async (_name, wrapHandler, handler) => {
    const { receiver, runs, messages } = wrapped({ wrapHandler }, handler)
    const reply = await receiver.handle(syncDelivery())
    expect(reply.status).toBe(500)
    expect(JSON.parse(reply.body).error.code).toBe('HANDLER_FAILED')
    expect(runs).toHaveBeenCalledTimes(1)
    expect(messages()).toEqual(['The handler of idn:access-request-pre-approval failed'])
  })
})

describe('when wrapHandler runs', () => {
  it('only when a handler runs: not for a 401, a 400 or a delivery stored for a worker', async () => {
    const wrapHandler = vi.fn((_ctx, run: () => unknown) => run())
    const { receiver } = wrapped({ wrapHandler })
    const unauthorized = { ...syncDelivery(), headers: { ...headers, authorization: 'Bearer nope' } }
    expect((await receiver.handle(unauthorized)).status).toBe(401)
    expect((await receiver.handle(post('access-request-pre-approval', { _metadata: {} }))).status).toBe(400)
    const queued = testReceiver({ queue: memoryQueue(), hooks: { wrapHandler } })
    queued.on(userCreated, () => {})
    expect((await queued.handle(post('user-created', userCreatedBody()))).status).toBe(200)
    await turns()
    expect(wrapHandler).not.toHaveBeenCalled()
    expect((await receiver.handle(syncDelivery())).status).toBe(200)
    expect(wrapHandler).toHaveBeenCalledTimes(1)
  })

  it('an AsyncLocalStorage value set by the wrapper is the store in the handler, before and after an await', async () => {
    const als = new AsyncLocalStorage<string>()
    const seen: (string | undefined)[] = []
    const receiver = testReceiver({
      hooks: { wrapHandler: (ctx, run) => als.run(`wrapped ${ctx.trigger.id}`, run) },
    })
    receiver.on('idn:identity-created', async () => {
      seen.push(als.getStore())
      await turns(1)
      seen.push(als.getStore())
    })
    expect((await receiver.handle(post('identity-created', identityBody()))).status).toBe(200)
    expect(seen).toEqual(['wrapped idn:identity-created', 'wrapped idn:identity-created'])
    expect(als.getStore()).toBeUndefined()
  })

  it("an ASYNC handler wrapped: the callback carries the handler's decision, not the wrapper's value", async () => {
    const isc = await loopback((_req, res) => res.writeHead(200).end())
    const receiver = testReceiver({
      completion: { allowedCallbackOrigins: [isc.origin] },
      hooks: {
        wrapHandler: async (_ctx, run) => {
          await run()
          return OTHER
        },
      },
    })
    receiver.on('idn:access-request-pre-approval', async () => DECISION, { mode: 'async' })
    const delivery = preApprovalDelivery('inv-w', { origin: isc.origin, secret: 'async-secret' })
    expect((await receiver.handle(delivery)).status).toBe(200)
    const [callback] = await isc.until(1)
    expect(JSON.parse(callback!.body)).toEqual({ secret: 'async-secret', output: DECISION })
    await receiver.close()
  })
})
