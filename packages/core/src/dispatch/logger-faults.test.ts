import { afterEach, describe, expect, it } from 'vitest'
import type { CompletionReport } from '../callbacks/completion-client.js'
import { closeLoopbacks, type Loopback, loopback } from '../callbacks/loopback.test-helper.js'
import { bearer, identityCreatedSample, preApprovalSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import { createTriggerReceiver, type TriggerReceiverOptions } from '../receiver/receiver.js'
import type { TriggerLogger } from '../types.js'

// A throwing logger (or onCompletion) never changes an outcome: the same reply as with a silent
// logger, and every failure on the callback path still sends ISC { secret, error }.

const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }
const SECRET = 'secret-0b5e'
const DECISION = { approved: true, comment: 'ok', approver: 'svc' }

/** Throws on every call, as a JSON logger does on a circular error. */
const throwingLogger: TriggerLogger = {
  error() {
    throw new TypeError('Converting circular structure to JSON')
  },
  warn() {
    throw new TypeError('Converting circular structure to JSON')
  },
}

/** An error that refers to itself. */
function circularError(): Error {
  const error = new Error('downstream down') as Error & { self?: unknown }
  error.self = error
  return error
}

/** A thrown value on which every operation throws. */
const hostile = new Proxy(
  {},
  {
    get() {
      throw new Error('trap')
    },
    getPrototypeOf() {
      throw new Error('trap')
    },
    has() {
      throw new Error('trap')
    },
    ownKeys() {
      throw new Error('trap')
    },
    getOwnPropertyDescriptor() {
      throw new Error('trap')
    },
  },
)

afterEach(closeLoopbacks)

type Handler = (input: unknown, ctx: unknown) => unknown

function receiver(logger: TriggerLogger | false, extra: Partial<TriggerReceiverOptions> = {}) {
  return createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger, ...extra })
}

function post(r: ReturnType<typeof receiver>, trigger: string, body: object) {
  return r.handle({ method: 'POST', headers, body: JSON.stringify(body), trigger })
}

describe('a throwing logger never changes a reply', () => {
  const cases: [string, string, Handler, object | undefined, object][] = [
    [
      'fire-and-forget that throws',
      'idn:identity-created',
      () => {
        throw circularError()
      },
      undefined,
      identityCreatedSample(),
    ],
    [
      'fire-and-forget that rejects',
      'idn:identity-created',
      async () => {
        throw circularError()
      },
      undefined,
      identityCreatedSample(),
    ],
    [
      'SYNC that throws',
      'idn:access-request-pre-approval',
      () => {
        throw hostile
      },
      { mode: 'sync' },
      preApprovalSample(),
    ],
    [
      'SYNC that rejects',
      'idn:access-request-pre-approval',
      async () => {
        throw circularError()
      },
      { mode: 'sync' },
      preApprovalSample(),
    ],
    [
      'SYNC with an invalid decision',
      'idn:access-request-pre-approval',
      () => ({ approved: 'maybe' }),
      { mode: 'sync' },
      preApprovalSample(),
    ],
    [
      'SYNC past its budget, with a fallback',
      'idn:access-request-pre-approval',
      () => new Promise(() => {}),
      {
        mode: 'sync',
        timeoutMs: 20,
        fallback: DECISION,
      },
      preApprovalSample(),
    ],
    [
      'DYNAMIC that rejects in time',
      'idn:access-request-pre-approval',
      async () => {
        throw circularError()
      },
      { mode: 'dynamic' },
      preApprovalSample(),
    ],
    [
      'DYNAMIC with an invalid decision in time',
      'idn:access-request-pre-approval',
      async () => ({ approved: 1 }),
      {
        mode: 'dynamic',
      },
      preApprovalSample(),
    ],
  ]

  it.each(cases)('%s: the same reply as with a silent logger', async (_name, id, handler, options, body) => {
    const isc = await loopback()
    const metadata = {
      _metadata: { callbackURL: `${isc.origin}/beta/trigger-invocations/inv-1/complete`, secret: SECRET },
    }
    const replies = []
    for (const logger of [false, throwingLogger] as const) {
      const r = receiver(logger, { completion: { allowedCallbackOrigins: [isc.origin] } })
      r.on(id as 'idn:identity-created', handler as never, options as never)
      replies.push(await post(r, id.slice(4), { ...body, ...metadata }))
      await r.close({ timeoutMs: 50 })
    }
    expect(replies[1]).toEqual(replies[0])
  })
})

// Real HTTP to a loopback ISC: on a busy machine a callback may need a retry (500 ms apart), so the
// budget is generous; it only detects a callback that never comes.
describe('every failure on the callback path still reaches ISC and onCompletion', { timeout: 30_000 }, () => {
  async function start(handler: Handler, onCompletion?: (report: CompletionReport) => void) {
    const isc = await loopback()
    const reports: CompletionReport[] = []
    const r = receiver(throwingLogger, {
      completion: {
        allowedCallbackOrigins: [isc.origin],
        onCompletion: (report) => {
          reports.push(report)
          onCompletion?.(report)
        },
      },
    })
    r.on('idn:access-request-pre-approval', handler as never, { mode: 'async' })
    return { isc, reports, r }
  }

  async function deliver({ isc, r }: { isc: Loopback; r: ReturnType<typeof receiver> }, id: string) {
    const body = {
      ...preApprovalSample(),
      _metadata: { callbackURL: `${isc.origin}/beta/trigger-invocations/${id}/complete`, secret: SECRET },
    }
    return post(r, 'access-request-pre-approval', body)
  }

  it.each([
    ['a circular error', () => Promise.reject(circularError()), 'The subscriber failed to decide'],
    [
      'a hostile proxy thrown synchronously',
      () => {
        throw hostile
      },
      'The subscriber failed to decide',
    ],
    // Resolving with it reads its `then`, which throws: the handler's promise rejects.
    ['a hostile proxy as the decision', () => hostile, 'The subscriber failed to decide'],
    ['an invalid decision', () => ({ approved: 'maybe' }), 'The subscriber returned an invalid decision'],
    [
      'a decision that is not JSON',
      () => ({ ...DECISION, comment: 10n }),
      'The subscriber returned an invalid decision',
    ],
  ] as [string, Handler, string][])(
    'ASYNC handler with %s: { secret, error } is sent, onCompletion told',
    async (_n, handler, error) => {
      const started = await start(handler)
      expect((await deliver(started, 'inv-a')).status).toBe(200)
      const [callback] = await started.isc.until(1)
      expect(JSON.parse(callback!.body)).toEqual({ secret: SECRET, error })
      await started.r.close({ timeoutMs: 4_000 }) // drained: the report is in
      expect(started.reports).toMatchObject([{ outcome: 'completed', invocationId: 'inv-a' }])
    },
  )

  it('a throwing onCompletion breaks nothing: the next invocations complete and close() drains', async () => {
    const started = await start(
      () => DECISION,
      () => {
        throw new Error('hook failed')
      },
    )
    await deliver(started, 'inv-b')
    await deliver(started, 'inv-c')
    await started.isc.until(2)
    const report = await started.r.close({ timeoutMs: 4_000 })
    expect(report).toMatchObject({ abandoned: 0 })
    expect(started.reports.map((r) => r.outcome)).toEqual(['completed', 'completed'])
  })
})
