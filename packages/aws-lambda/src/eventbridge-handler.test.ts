import { isTriggerError, type TriggerContext, type TriggerReceiver } from '@isc-triggers/core'
import { sampleInput } from '@isc-triggers/testing'
import {
  DECISION,
  DECISION_WITH_EXTRA,
  INVOCATION_SECRET,
  identityCreatedSample,
} from '@isc-triggers-internal/test-utils'
import { describe, expect, it } from 'vitest'
import { iscEvent } from './testing/events.test-helper.js'
import { PRE_APPROVAL, useTestBed } from './testing/test-bed.test-helper.js'

// toEventBridgeHandler with events shaped as ISC's EVENTBRIDGE subscriptions put them on the
// partner event bus. The receiver requires a bearer token, which an event never carries: the
// handler must not apply HTTP auth. A fake ISC receives the callbacks.

const bed = useTestBed()
let invocations = 0

/** A pre-approval payload with the `_metadata` ISC adds, for a new invocation. */
function invocation(callbackOrigin = bed.isc.origin) {
  const invocationId = `inv-eb-${++invocations}`
  const detail = bed.decisionDetail(invocationId, callbackOrigin)
  const completions = () => bed.isc.attempts.filter((attempt) => attempt.invocationId === invocationId)
  return { invocationId, detail, completions }
}

describe('toEventBridgeHandler: fire-and-forget', () => {
  it('runs the handler with the detail (unknown fields kept), without HTTP auth, and resolves', async () => {
    const { events, inputs, contexts, rejections } = bed.setUp()
    await expect(events(iscEvent('idn:identity-created', identityCreatedSample()))).resolves.toBeUndefined()
    expect(inputs).toEqual([identityCreatedSample()])
    expect(contexts[0]?.trigger.id).toBe('idn:identity-created')
    expect(rejections).toEqual([])
  })

  it('a handler failure rejects (Lambda retries the event); nothing goes to onRejected', async () => {
    const { receiver, events, rejections } = bed.setUp()
    receiver.on('idn:account-correlated', async () => {
      throw new Error('the directory is down')
    })
    const correlated = iscEvent('idn:account-correlated', sampleInput('idn:account-correlated'))
    const failure = await events(correlated).catch((error: unknown) => error)
    expect(isTriggerError(failure)).toBe(true)
    expect(failure).toMatchObject({ name: 'TriggerError', code: 'HANDLER_FAILED' })
    expect((failure as Error).message).not.toContain('directory')
    expect(rejections).toEqual([])
  })
})

describe('toEventBridgeHandler: invalid events resolve (retrying cannot fix them) and reach onRejected', () => {
  it.each([
    [
      'a payload that fails the schema',
      'idn:identity-created',
      { ...identityCreatedSample(), identity: { id: 42 } },
      400,
      'INVALID_PAYLOAD',
    ],
    ['an unknown trigger', 'idn:no-such-trigger', identityCreatedSample(), 404, 'UNKNOWN_TRIGGER'],
    [
      'a detail that is not an object',
      'idn:identity-created',
      ['not', 'an', 'object'],
      400,
      'INVALID_PAYLOAD',
    ],
    ['a detail that is not JSON', 'idn:identity-created', '{"identity":', 400, 'INVALID_JSON'],
    ['no detail', 'idn:identity-created', undefined, 400, 'INVALID_JSON'],
  ])('%s', async (_name, detailType, detail, status, code) => {
    const { events, inputs, rejections } = bed.setUp()
    await expect(events(iscEvent(detailType, detail))).resolves.toBeUndefined()
    expect(inputs).toEqual([])
    expect(rejections).toMatchObject([{ trigger: detailType, status, code }])
    const body = rejections[0]?.body
    expect(body).toBe(typeof detail === 'string' ? detail : (JSON.stringify(detail) ?? ''))
  })

  it('without onRejected, the refusal is logged (codes and paths, never values)', async () => {
    const warnings: unknown[][] = []
    const logger = { warn: (...args: unknown[]) => void warnings.push(args), error: () => {} }
    const { events } = bed.setUp({ logger, onRejected: undefined })
    const detail = { ...identityCreatedSample(), identity: { id: 42, name: 'Ada-3f9e' } }
    await events(iscEvent('idn:identity-created', detail))
    expect(warnings).toHaveLength(1)
    expect(JSON.stringify(warnings)).toMatch(/400 INVALID_PAYLOAD/)
    expect(JSON.stringify(warnings)).toContain('identity.id')
    expect(JSON.stringify(warnings)).not.toContain('Ada-3f9e')
  })

  it('a callback URL outside the allowlist: refused before the handler runs, nothing sent', async () => {
    const { receiver, events, rejections } = bed.setUp()
    let calls = 0
    receiver.on(
      PRE_APPROVAL,
      () => {
        calls++
        return DECISION
      },
      { mode: 'async' },
    )
    const { detail } = invocation('https://attacker.example')
    await expect(events(iscEvent(PRE_APPROVAL, detail))).resolves.toBeUndefined()
    expect(calls).toBe(0)
    expect(rejections).toMatchObject([{ trigger: PRE_APPROVAL, status: 400, code: 'INVALID_CALLBACK' }])
  })
})

describe('toEventBridgeHandler: request-response decides through the completion client', () => {
  it.each([
    ['ASYNC', { mode: 'async' }],
    ['SYNC (no reply over EventBridge: by callback too)', { mode: 'sync' }],
    ['DYNAMIC (by callback too)', { mode: 'dynamic' }],
  ] as const)(
    '%s: { secret, output } reaches the callback before the handler resolves',
    async (_name, options) => {
      const { receiver, events } = bed.setUp()
      const seen: TriggerContext[] = []
      receiver.on(
        PRE_APPROVAL,
        async (_input, ctx) => {
          seen.push(ctx)
          return DECISION_WITH_EXTRA
        },
        options,
      )
      const { invocationId, detail, completions } = invocation()
      await events(iscEvent(PRE_APPROVAL, detail))
      expect(completions()).toMatchObject([
        { status: 204, body: { secret: INVOCATION_SECRET, output: DECISION } },
      ])
      expect(seen[0]?.invocation).toMatchObject({ invocationId, secret: INVOCATION_SECRET })
    },
  )

  it('a failing handler rejects without completing the invocation; the retry decides', async () => {
    const { receiver, events } = bed.setUp()
    let calls = 0
    receiver.on(
      PRE_APPROVAL,
      async () => {
        if (++calls === 1) throw new Error('policy service unavailable')
        return DECISION
      },
      { mode: 'async' },
    )
    const { detail, completions } = invocation()
    const event = iscEvent(PRE_APPROVAL, detail)
    await expect(events(event)).rejects.toMatchObject({ code: 'HANDLER_FAILED' })
    expect(completions()).toEqual([])
    await expect(events(event)).resolves.toBeUndefined() // Lambda's retry of the same event
    expect(completions()).toMatchObject([
      { status: 204, body: { secret: INVOCATION_SECRET, output: DECISION } },
    ])
  })
})

describe("toEventBridgeHandler: the invocation's deadline counts from the event's time", () => {
  const HOUR_MS = 3_600_000 // completion.deadlineMs by default
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * HOUR_MS).toISOString()

  function deciding(receiver: TriggerReceiver, seen: TriggerContext[]) {
    receiver.on(
      PRE_APPROVAL,
      async (_input, ctx) => {
        seen.push(ctx)
        return DECISION
      },
      { mode: 'async' },
    )
  }

  it('a retry after the deadline passed: no decision is sent (ISC would refuse it), the handler is told, the event resolves', async () => {
    const { receiver, events, rejections } = bed.setUp()
    const seen: TriggerContext[] = []
    deciding(receiver, seen)
    const { detail, completions } = invocation()
    const time = hoursAgo(2)
    await expect(events(iscEvent(PRE_APPROVAL, detail, time))).resolves.toBeUndefined()
    expect(completions()).toEqual([]) // was: a fresh hour from the retry, and the decision sent
    expect(seen[0]?.receivedAt.toISOString()).toBe(new Date(time).toISOString())
    expect(seen[0]?.signal.aborted).toBe(true)
    expect(rejections).toEqual([])
  })

  it('within the deadline (the first delivery, or a retry minutes later): the decision is sent', async () => {
    const { receiver, events } = bed.setUp()
    const seen: TriggerContext[] = []
    deciding(receiver, seen)
    const { detail, completions } = invocation()
    const time = hoursAgo(0.5)
    await events(iscEvent(PRE_APPROVAL, detail, time))
    expect(completions()).toMatchObject([
      { status: 204, body: { secret: INVOCATION_SECRET, output: DECISION } },
    ])
    expect(seen[0]?.receivedAt.toISOString()).toBe(new Date(time).toISOString())
    expect(seen[0]?.signal.aborted).toBe(false)
  })

  it.each([
    ['a time in the future (a skewed clock)', new Date(Date.now() + 2 * HOUR_MS).toISOString()],
    ['a time that is not a date', 'yesterday'],
    ['no time', undefined],
  ])('%s counts as now: the decision is sent', async (_name, time) => {
    const { receiver, events } = bed.setUp()
    const seen: TriggerContext[] = []
    deciding(receiver, seen)
    const { detail, completions } = invocation()
    const before = Date.now()
    await events({ ...iscEvent(PRE_APPROVAL, detail), time: time as string })
    const at = seen[0]?.receivedAt.getTime() ?? Number.NaN
    expect(at >= before && at <= Date.now()).toBe(true)
    expect(completions()).toMatchObject([{ status: 204 }])
  })
})
