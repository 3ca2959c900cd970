import { afterEach, describe, expect, it } from 'vitest'
import { type CompletionReport, completeInvocation, createCompletionClient } from './completion-client.js'
import { backoff } from './completion-run.js'
import { closeLoopbacks, loopback, sleep, within } from './loopback.test-helper.js'

// The completion client's rules, against loopback servers: credentials and callbacks never follow
// a redirect (a 3xx is final), every retry waits at least the backoff floor whatever Retry-After
// says, a signal stops it at once, and onCompletion cannot change anything.

const SECRET = 'invocation-secret-7c1f'
const DECISION = { approved: true, comment: 'ok', approver: 'svc' }

afterEach(closeLoopbacks)

/** A server that would happily take what it is sent, and hands out a token of its own. */
async function thief() {
  return loopback((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ access_token: 'stolen-token', expires_in: 3600 }))
  })
}

function redirectTo(location: string) {
  return loopback((_req, res) => res.writeHead(307, { location }).end())
}

describe('redirects are never followed', () => {
  it('a token URL answering 307 to another origin: that origin receives nothing, and no callback goes out', async () => {
    const elsewhere = await thief()
    const tokenUrl = await redirectTo(`${elsewhere.origin}/oauth/token`)
    const isc = await loopback()
    const reports: CompletionReport[] = []
    const report = await completeInvocation(
      { callbackURL: `${isc.origin}/beta/trigger-invocations/inv-1/complete`, secret: SECRET },
      { output: DECISION },
      {
        clientId: 'client-id',
        clientSecret: 'client-secret-never-elsewhere',
        tokenUrl: `${tokenUrl.origin}/oauth/token`,
        allowedCallbackOrigins: [isc.origin],
        onCompletion: (r) => reports.push(r),
      },
    )
    expect(report).toMatchObject({ outcome: 'rejected', attempts: 0 })
    expect(report.reason).toContain('307')
    expect(reports).toEqual([report])
    expect(tokenUrl.received).toHaveLength(1) // asked once, never again (not retried)
    expect(elsewhere.received).toHaveLength(0)
    expect(isc.received).toHaveLength(0)
  })

  it('a callback answered with a 3xx is a final outcome: one attempt, the redirect target gets nothing', async () => {
    const elsewhere = await thief()
    const isc = await redirectTo(`${elsewhere.origin}/steal`)
    const report = await completeInvocation(
      { callbackURL: `${isc.origin}/beta/trigger-invocations/inv-2/complete`, secret: SECRET },
      { output: DECISION },
      {
        allowedCallbackOrigins: [isc.origin],
        retry: { baseDelayMs: 10, maxDelayMs: 20 },
        deadline: Date.now() + 5_000,
      },
    )
    expect(report).toMatchObject({ outcome: 'rejected', attempts: 1, status: 307, invocationId: 'inv-2' })
    expect(report.reason).toContain('307')
    expect(isc.received).toHaveLength(1)
    expect(elsewhere.received).toHaveLength(0)
  })
})

describe('retries', () => {
  it('Retry-After: 0 still waits the backoff floor (retry.baseDelayMs) between attempts', async () => {
    const baseDelayMs = 100
    const isc = await loopback((_req, res) => res.writeHead(429, { 'retry-after': '0' }).end())
    const report = await completeInvocation(
      { callbackURL: `${isc.origin}/beta/trigger-invocations/inv-3/complete`, secret: SECRET },
      { output: DECISION },
      {
        allowedCallbackOrigins: [isc.origin],
        retry: { baseDelayMs, maxDelayMs: 150 },
        deadline: Date.now() + 1_000,
      },
    )
    expect(report.outcome).toBe('expired')
    // Upper bound on the count (a slow machine makes fewer attempts, never more) and lower bounds
    // on the gaps: no "took less than" on anything the machine's speed could shorten.
    expect(isc.received.length).toBeLessThanOrEqual(1 + 1_000 / baseDelayMs)
    const gaps = isc.received.slice(1).map((r, i) => r.at - isc.received[i]!.at)
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(baseDelayMs - 2)
  })

  it('backoff() has a floor and lets Retry-After lengthen a wait, never shorten it', () => {
    for (let retry = 0; retry < 40; retry++) {
      const wait = backoff(retry, 500, 30_000, 0)
      expect(wait).toBeGreaterThanOrEqual(500)
      expect(wait).toBeLessThanOrEqual(30_000)
    }
    expect(backoff(0, 500, 30_000, 5_000)).toBe(5_000)
    expect(backoff(3, 500, 200)).toBe(200) // a maxDelayMs below the base wins
  })
})

describe('stopping', () => {
  it('a signal stops the retries at once: outcome abandoned, no attempt after it', async () => {
    const isc = await loopback((_req, res) => res.writeHead(503).end())
    const controller = new AbortController()
    const reports: CompletionReport[] = []
    const client = createCompletionClient({
      allowedCallbackOrigins: [isc.origin],
      retry: { baseDelayMs: 20, maxDelayMs: 40 },
      onCompletion: (r) => reports.push(r),
    })
    const pending = client.complete(
      { callbackURL: `${isc.origin}/beta/trigger-invocations/inv-4/complete`, secret: SECRET },
      { output: DECISION },
      { signal: controller.signal },
    )
    await isc.until(2)
    controller.abort()
    // Reported as soon as the signal aborts, not at the next attempt.
    expect(reports).toMatchObject([{ outcome: 'abandoned', status: 503 }])
    const report = await within(pending, 4_000, 'the abandoned report')
    expect(report.outcome).toBe('abandoned')
    // An attempt already on the wire may still arrive; a run still retrying every 20-40 ms would
    // send several more in 200 ms.
    const attempts = isc.received.length
    await sleep(200)
    expect(isc.received.length).toBeLessThanOrEqual(attempts + 1)
  })

  it('an already-aborted signal sends nothing', async () => {
    const isc = await loopback()
    const report = await createCompletionClient({ allowedCallbackOrigins: [isc.origin] }).complete(
      { callbackURL: `${isc.origin}/beta/trigger-invocations/inv-5/complete`, secret: SECRET },
      { output: DECISION },
      { signal: AbortSignal.abort() },
    )
    expect(report).toMatchObject({ outcome: 'abandoned', attempts: 0 })
    expect(isc.received).toHaveLength(0)
  })
})

describe('onCompletion', () => {
  it('a throwing or rejecting onCompletion changes nothing', async () => {
    const isc = await loopback()
    const target = (id: string) => ({
      callbackURL: `${isc.origin}/beta/trigger-invocations/${id}/complete`,
      secret: SECRET,
    })
    const throwing = await completeInvocation(
      target('inv-6'),
      { output: DECISION },
      {
        allowedCallbackOrigins: [isc.origin],
        onCompletion: () => {
          throw new Error('hook failed')
        },
      },
    )
    expect(throwing.outcome).toBe('completed')
    // A rejection would fail the run as an unhandled rejection.
    const rejecting = await completeInvocation(
      target('inv-7'),
      { output: DECISION },
      {
        allowedCallbackOrigins: [isc.origin],
        onCompletion: async () => {
          throw new Error('async hook failed')
        },
      },
    )
    expect(rejecting.outcome).toBe('completed')
    expect(isc.received).toHaveLength(2)
  })
})
