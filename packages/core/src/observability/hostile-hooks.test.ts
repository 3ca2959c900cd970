import { describe, expect, it, vi } from 'vitest'
import { aborted, gate, loopback } from '../callbacks/loopback.test-helper.js'
import { turns } from '../queue/memory-queue.test-helper.js'
import { post } from '../queue/queue-fixtures.test-helper.js'
import type { TriggerReceiver, TriggerRequest } from '../receiver/receiver.js'
import type { TriggerContext } from '../types.js'
import {
  identityBody,
  lineLogger,
  preApprovalDelivery,
  testReceiver,
} from './channel-recorder.test-helper.js'
import type { DeliveryEvent, ReceiverHooks, WrapHandler } from './hooks.js'
import { DECISION, HOOK_SKIPPED, HOOK_THREW, never, syncReceiver, tracked } from './hostile.test-helper.js'

// Hostile hooks (wrapHandler, onDelivery): whatever they do, the handler runs once, and a reply and a
// callback stay what they would be without them. (Regression tests of the bugs found: hostile-fixes.test.ts.)

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
