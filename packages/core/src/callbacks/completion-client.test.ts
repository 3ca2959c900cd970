import { afterEach, describe, expect, it } from 'vitest'
import { type CompletionReport, completeInvocation, createCompletionClient } from './completion-client.js'
import { backoff, MAX_TIMER_MS, timerDelay } from './completion-run.js'
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

describe('a stalled or odd token endpoint', () => {
  it('a token endpoint that sends its headers and part of the body, then stalls: the completion ends expired, and a second one on the same client is not blocked', async () => {
    let stall = true
    const tokens = await loopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      if (stall)
        res.write('{"access_token":') // then nothing, ever
      else res.end(JSON.stringify({ access_token: 'fresh-token', expires_in: 3600 }))
    })
    const isc = await loopback()
    const reports: CompletionReport[] = []
    const client = createCompletionClient({
      clientId: 'client-id',
      clientSecret: 'client-secret',
      tokenUrl: `${tokens.origin}/oauth/token`,
      allowedCallbackOrigins: [isc.origin],
      attemptTimeoutMs: 200,
      retry: { baseDelayMs: 50, maxDelayMs: 100 },
      onCompletion: (r) => reports.push(r),
    })
    const target = (id: string) => ({
      callbackURL: `${isc.origin}/beta/trigger-invocations/${id}/complete`,
      secret: SECRET,
    })
    // The deadline is what ends it; the hang detector is far longer than deadline + one attempt.
    const first = await within(
      client.complete(target('inv-stall-1'), { output: DECISION }, { deadline: Date.now() + 600 }),
      6_000,
      'the report of a completion whose token endpoint stalls',
    )
    expect(first).toMatchObject({ outcome: 'expired', attempts: 0 })
    expect(first.reason).toContain('no answer within 200 ms')
    expect(reports).toEqual([first])
    expect(isc.received).toHaveLength(0)
    // The endpoint recovers: the next completion on the same client gets a token and completes.
    stall = false
    const second = await within(
      client.complete(target('inv-stall-2'), { output: DECISION }, { deadline: Date.now() + 60_000 }),
      8_000,
      'the second completion',
    )
    expect(second).toMatchObject({ outcome: 'completed', attempts: 1 })
    expect(isc.received[0]?.headers.authorization).toBe('Bearer fresh-token')
  }, 20_000)

  it('a callback answered 2xx whose body then stalls is completed at once: its body is dropped, never waited for', async () => {
    let stalls = 1
    const isc = await loopback((_req, res) => {
      if (stalls-- > 0) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{"partial":') // then nothing
      } else res.writeHead(204).end()
    })
    const report = await within(
      createCompletionClient({
        allowedCallbackOrigins: [isc.origin],
        attemptTimeoutMs: 200,
        retry: { baseDelayMs: 20, maxDelayMs: 40 },
      }).complete(
        { callbackURL: `${isc.origin}/beta/trigger-invocations/inv-stall-3/complete`, secret: SECRET },
        { output: DECISION },
        { deadline: Date.now() + 60_000 },
      ),
      8_000,
      'the report of a callback whose first answer stalls mid-body',
    )
    expect(report).toMatchObject({ outcome: 'completed', attempts: 1, status: 200 })
  })

  it('a token sent without expires_in is reused (default lifetime), not fetched again for every callback', async () => {
    const tokens = await loopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ access_token: 'no-expiry-token' }))
    })
    const isc = await loopback()
    const client = createCompletionClient({
      clientId: 'client-id',
      clientSecret: 'client-secret',
      tokenUrl: `${tokens.origin}/oauth/token`,
      allowedCallbackOrigins: [isc.origin],
    })
    for (const id of ['inv-8', 'inv-9', 'inv-10']) {
      const report = await client.complete(
        { callbackURL: `${isc.origin}/beta/trigger-invocations/${id}/complete`, secret: SECRET },
        { output: DECISION },
      )
      expect(report.outcome).toBe('completed')
    }
    expect(tokens.received).toHaveLength(1)
    expect(isc.received.map((r) => r.headers.authorization)).toEqual(Array(3).fill('Bearer no-expiry-token'))
  })
})

describe('waits longer than a timer can hold', () => {
  it('timerDelay() clamps a wait to 2^31-1 ms (setTimeout fires a longer one at once)', () => {
    expect(timerDelay(5_000_000_000)).toBe(MAX_TIMER_MS)
    expect(timerDelay(MAX_TIMER_MS + 1)).toBe(MAX_TIMER_MS)
    expect(timerDelay(1_000)).toBe(1_000)
  })

  it('a Retry-After above 2^31-1 ms with a longer deadline waits; it does not retry in a loop', async () => {
    const isc = await loopback((_req, res) => res.writeHead(429, { 'retry-after': '3000000' }).end()) // ~35 days
    const controller = new AbortController()
    const pending = createCompletionClient({
      allowedCallbackOrigins: [isc.origin],
      retry: { baseDelayMs: 10, maxDelayMs: 20 },
    }).complete(
      { callbackURL: `${isc.origin}/beta/trigger-invocations/inv-11/complete`, secret: SECRET },
      { output: DECISION },
      { deadline: Date.now() + 60 * 86_400_000, signal: controller.signal },
    )
    await isc.until(1)
    // An overflowed timer fires after 1 ms: dozens of attempts in 200 ms. A slow machine makes
    // fewer attempts, never more, so this cannot fail for being slow.
    await sleep(200)
    expect(isc.received).toHaveLength(1)
    controller.abort()
    expect((await pending).outcome).toBe('abandoned')
  })
})
