import {
  createTriggerReceiver,
  type RequestResponseOptions,
  type TriggerContext,
  type TriggerReceiver,
} from '@isc-triggers/core'
import { type FakeIsc, startFakeIsc } from '@isc-triggers/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Harness, MakeHarness } from './adapter-contract.js'
import { type HarnessResponse, post } from './contract-http.js'
import { TEST_TOKEN } from './credentials.js'
import {
  DECISION,
  DECISION_WITH_EXTRA,
  type Decision,
  type DecisionHandler,
  INVOCATION_SECRET,
} from './decisions.js'
import { preApprovalSample } from './fixtures.js'
import { createGate, type Gate } from './gate.js'

// The request-response part of the contract: what ISC sees on the wire in each reply mode, with a
// fake ISC receiving the callbacks. Handlers wait on gates the test opens, so "answered before the
// handler finished" is shown by order of events, never by a clock. The completion client's own
// behaviour (retries, tokens, deadlines, error callbacks) is tested once, in packages/tests.

type Handler = DecisionHandler
const SECRET = INVOCATION_SECRET
/** Within ISC's 10 s and far beyond a reply's time: only a deferral can explain an early 202. */
const LONG_BUDGET_MS = 9_000

/**
 * Adds the request-response section to an adapter's contract: ASYNC acknowledges 200 `{}` and
 * its decision reaches ISC's callback through this mounting; DYNAMIC answers 200 with the
 * decision in time, 202 `{}` when deferred or late, then calls back.
 */
export function describeRequestResponse(makeHarness: MakeHarness): void {
  describe('request-response', () => {
    let isc: FakeIsc
    let invocations = 0
    const gates: Gate[] = []
    const open: Harness[] = []

    beforeAll(async () => {
      isc = await startFakeIsc()
    })
    afterAll(() => isc.close())
    afterEach(async () => {
      for (const gate of gates.splice(0)) gate.open()
      await Promise.all(open.splice(0).map((harness) => harness.close?.()))
    })

    function gate(): Gate {
      const created = createGate()
      gates.push(created)
      return created
    }

    async function start(mode: RequestResponseOptions<Decision>, handler: Handler) {
      const receiver: TriggerReceiver = createTriggerReceiver({
        auth: { type: 'bearer', tokens: [TEST_TOKEN] },
        logger: false,
        completion: { allowedCallbackOrigins: [isc.origin], retry: { baseDelayMs: 20, maxDelayMs: 100 } },
      })
      receiver.on('idn:access-request-pre-approval', handler as never, mode as never)
      const harness = await makeHarness(receiver)
      open.push(harness)
      const invocationId = `inv-${++invocations}`
      const deliver = (): Promise<HarnessResponse> =>
        harness.send(
          post('/access-request-pre-approval', {
            ...preApprovalSample(),
            _metadata: {
              callbackURL: isc.callbackURL(invocationId),
              secret: SECRET,
              triggerId: 'idn:access-request-pre-approval',
              triggerType: 'requestResponse',
              responseMode: 'async',
            },
          }),
        )
      const attempts = () => isc.attempts.filter((attempt) => attempt.invocationId === invocationId)
      return { receiver, invocationId, deliver, attempts }
    }

    function expectJson(reply: HarnessResponse, status: number, body: unknown) {
      expect(reply.status, reply.text).toBe(status)
      expect(reply.headers['content-type']).toMatch(/^application\/json/)
      expect(JSON.parse(reply.text)).toEqual(body)
    }

    it('ASYNC → 200 {} while the handler still runs, then { secret, output } reaches the callback', async () => {
      const decided = gate()
      const seen: TriggerContext[] = []
      const { deliver, invocationId, attempts } = await start({ mode: 'async' }, async (_input, ctx) => {
        seen.push(ctx)
        await decided.promise
        return DECISION_WITH_EXTRA
      })
      const reply = await deliver() // a reply that waited for the handler would never come: it decides after
      expectJson(reply, 200, {})
      expect(seen).toHaveLength(1)
      expect(attempts()).toEqual([])
      decided.open()
      const completion = await isc.waitForCompletion(invocationId)
      expect(completion.body).toEqual({ secret: SECRET, output: DECISION })
      expect(completion.headers['content-type']).toBe('application/json')
      expect(completion.headers.authorization).toBeUndefined()
      expect(seen[0]?.invocation?.invocationId).toBe(invocationId)
    })

    it('DYNAMIC, decided within the budget → 200 with the validated decision, no callback', async () => {
      const { receiver, deliver, attempts } = await start(
        { mode: 'dynamic', timeoutMs: LONG_BUDGET_MS },
        () => DECISION_WITH_EXTRA,
      )
      expectJson(await deliver(), 200, DECISION)
      await receiver.close() // waits for any callback it started: there must be none
      expect(attempts()).toEqual([])
    })

    it('DYNAMIC, ctx.defer() → 202 {} at once, then the decision reaches the callback', async () => {
      const decided = gate()
      const { deliver, invocationId } = await start(
        { mode: 'dynamic', timeoutMs: LONG_BUDGET_MS },
        async (_input, ctx) => {
          ctx.defer()
          await decided.promise
          return DECISION_WITH_EXTRA
        },
      )
      const reply = await deliver() // a reply that waited for the handler would never come
      expectJson(reply, 202, {})
      decided.open()
      expect((await isc.waitForCompletion(invocationId)).body).toEqual({ secret: SECRET, output: DECISION })
    })

    it('DYNAMIC, past the budget → 202 {}, then the decision reaches the callback', async () => {
      const decided = gate()
      let finished = false
      const { deliver, invocationId, attempts } = await start(
        { mode: 'dynamic', timeoutMs: 50 },
        async () => {
          await decided.promise
          finished = true
          return DECISION_WITH_EXTRA
        },
      )
      const reply = await deliver() // a reply that waited past the budget would never come
      expectJson(reply, 202, {})
      expect(finished).toBe(false)
      expect(attempts()).toEqual([])
      decided.open()
      expect((await isc.waitForCompletion(invocationId)).body).toEqual({ secret: SECRET, output: DECISION })
    })
  })
}
