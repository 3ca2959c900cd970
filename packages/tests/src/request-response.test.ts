import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type CompletionOptions,
  type CompletionReport,
  completeInvocation,
  createTriggerReceiver,
  type RequestResponseOptions,
  type TriggerContext,
  toNodeHandler,
} from '@isc-triggers/core'
import {
  bearer,
  createGate,
  DECISION,
  DECISION_WITH_EXTRA,
  type Decision,
  type DecisionHandler,
  type FakeIscOptions,
  type Gate,
  INVOCATION_SECRET,
  preApprovalSample,
  startFakeIsc,
  TEST_TOKEN,
} from '@isc-triggers-internal/test-utils'
import { afterEach, describe, expect, it } from 'vitest'

// Core's request-response behaviour in detail: ASYNC and DYNAMIC callbacks, the completion client
// (token, retries, deadlines, error callbacks), close() and the SSRF guard. Through core's own
// node:http bridge on a loopback port, with a fake ISC receiving the callbacks. What every adapter
// must show on the wire (200 {} / 202 / callback reached / INVALID_CALLBACK) is in the shared
// adapter contract (packages/test-utils/src/request-response-contract.ts).
//
// Nothing here depends on the machine's speed: handlers wait on gates the test opens, outcomes are
// awaited as events (the completion report, the fake ISC's accepted completion), and the only
// clock assertions are lower bounds (Retry-After) or generous upper bounds (seconds).

type Handler = DecisionHandler
const SECRET = INVOCATION_SECRET
/** A hang detector, not a speed check. */
const GENEROUS_MS = 8_000

const cleanup: (() => Promise<unknown> | unknown)[] = []
const gates: Gate[] = []
afterEach(async () => {
  for (const gate of gates.splice(0)) gate.open()
  for (const close of cleanup.splice(0).reverse()) await close()
})

function gate(): Gate {
  const created = createGate()
  gates.push(created)
  return created
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanup.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(resolve)
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Completion reports as they come, and a way to wait for the next one. */
function reportLog() {
  const reports: CompletionReport[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  return {
    reports,
    push(report: CompletionReport) {
      reports.push(report)
      for (const waiter of waiters.filter((w) => reports.length >= w.count)) waiter.resolve()
    },
    /** Resolves once `count` reports arrived (rejects after a generous budget). */
    async until(count: number, timeoutMs = GENEROUS_MS): Promise<CompletionReport[]> {
      if (reports.length < count) {
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          new Promise<void>((resolve) => waiters.push({ count, resolve })),
          new Promise<never>((_resolve, reject) => {
            timer = setTimeout(
              () =>
                reject(new Error(`${reports.length} completion reports, not ${count}, in ${timeoutMs} ms`)),
              timeoutMs,
            )
          }),
        ]).finally(() => clearTimeout(timer))
      }
      return reports
    },
  }
}

interface Setup {
  mode: RequestResponseOptions<Decision>
  handler: Handler
  completion?: Partial<CompletionOptions>
  isc?: FakeIscOptions
}

async function start({ mode, handler, completion = {}, isc: iscOptions = {} }: Setup) {
  const isc = await startFakeIsc(iscOptions)
  cleanup.push(() => isc.close())
  const log = reportLog()
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens: [TEST_TOKEN] },
    logger: false,
    completion: {
      allowedCallbackOrigins: [isc.origin],
      retry: { baseDelayMs: 20, maxDelayMs: 100 },
      onCompletion: (report) => log.push(report),
      ...completion,
    },
  })
  receiver.on('idn:access-request-pre-approval', handler as never, mode as never)
  const base = await listen(createServer(toNodeHandler(receiver, { path: '/isc/triggers' })))

  async function deliver(invocationId: string, metadata: Record<string, unknown> | null = {}) {
    const body = {
      ...preApprovalSample(),
      ...(metadata === null
        ? {}
        : {
            _metadata: {
              callbackURL: isc.callbackURL(invocationId),
              secret: SECRET,
              triggerId: 'idn:access-request-pre-approval',
              triggerType: 'requestResponse',
              responseMode: 'async',
              ...metadata,
            },
          }),
    }
    const response = await fetch(`${base}/isc/triggers/access-request-pre-approval`, {
      method: 'POST',
      headers: { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return { status: response.status, body: await response.json() }
  }
  return { isc, receiver, reports: log.reports, until: log.until, deliver }
}

/** A handler that waits on a gate the test opens, and whose progress the test can see. */
function gatedHandler(output: unknown = DECISION_WITH_EXTRA) {
  const decided = gate()
  const state = { started: 0, finished: 0, ctx: undefined as TriggerContext | undefined, decided }
  const handler: Handler = async (_input, ctx) => {
    state.started++
    state.ctx = ctx
    await decided.promise
    state.finished++
    return output as Decision
  }
  return { state, handler }
}

describe('ASYNC', () => {
  it('acknowledges 200 {} while the handler still runs, then POSTs { secret, output } to the callback', async () => {
    const { state, handler } = gatedHandler()
    const { isc, deliver, until } = await start({ mode: { mode: 'async' }, handler })
    const ack = await deliver('inv-async-1')
    expect(ack.status).toBe(200)
    expect(ack.body).toEqual({})
    expect(state.started).toBe(1)
    expect(state.finished).toBe(0)
    state.decided.open()
    const completion = await isc.waitForCompletion('inv-async-1')
    expect(completion.body).toEqual({ secret: SECRET, output: DECISION })
    expect(completion.headers['content-type']).toBe('application/json')
    expect(completion.headers.authorization).toBeUndefined()
    expect(state.ctx?.invocation?.invocationId).toBe('inv-async-1')
    expect(await until(1)).toEqual([
      expect.objectContaining({ outcome: 'completed', attempts: 1, invocationId: 'inv-async-1' }),
    ])
  })

  it('sends { secret, error } when the handler throws, and never an invalid output', async () => {
    const failing = await start({
      mode: { mode: 'async' },
      handler: () => {
        throw new Error('policy service down: password=hunter2')
      },
    })
    expect((await failing.deliver('inv-err')).status).toBe(200)
    const failure = await failing.isc.waitForCompletion('inv-err')
    expect(failure.body).toEqual({ secret: SECRET, error: 'The subscriber failed to decide' })
    expect(JSON.stringify(failure.body)).not.toContain('hunter2')

    const invalid = await start({ mode: { mode: 'async' }, handler: () => ({ approved: 'maybe' }) as never })
    await invalid.deliver('inv-bad')
    const rejected = await invalid.isc.waitForCompletion('inv-bad')
    expect(rejected.body).toEqual({ secret: SECRET, error: 'The subscriber returned an invalid decision' })
    expect(JSON.stringify(rejected.body)).not.toContain('maybe')
  })

  it('sends a client-credentials token with the callback, fetched once and cached', async () => {
    const { isc, deliver } = await start({
      mode: { mode: 'async' },
      handler: () => DECISION,
      isc: { clientId: 'client-1', clientSecret: 'client-secret-1' },
      completion: { clientId: 'client-1', clientSecret: 'client-secret-1' },
    })
    await deliver('inv-t1')
    await isc.waitForCompletion('inv-t1')
    await deliver('inv-t2')
    const second = await isc.waitForCompletion('inv-t2')
    expect(second.headers.authorization).toBe('Bearer fake-token-1')
    expect(isc.tokenRequests).toEqual([
      { grant_type: 'client_credentials', client_id: 'client-1', client_secret: 'client-secret-1' },
    ])
  })

  it('refreshes the token once after a 401', async () => {
    const { isc, deliver, until } = await start({
      mode: { mode: 'async' },
      handler: () => DECISION,
      isc: { clientId: 'c', clientSecret: 's' },
      completion: { clientId: 'c', clientSecret: 's' },
    })
    await deliver('inv-r1')
    await isc.waitForCompletion('inv-r1')
    isc.revokeTokens()
    await deliver('inv-r2')
    const completion = await isc.waitForCompletion('inv-r2')
    expect(completion.headers.authorization).toBe('Bearer fake-token-2')
    expect(isc.attempts.filter((a) => a.invocationId === 'inv-r2').map((a) => a.status)).toEqual([401, 204])
    expect(isc.tokenRequests).toHaveLength(2)
    expect((await until(2)).at(-1)).toMatchObject({ outcome: 'completed', attempts: 2 })
  })

  it('refuses a delivery without a callback or without its secret (400), before running the handler', async () => {
    const { state, handler } = gatedHandler()
    const { deliver, isc } = await start({ mode: { mode: 'async' }, handler })
    const noMetadata = await deliver('x', null)
    expect(noMetadata.status).toBe(400)
    expect(noMetadata.body.error.code).toBe('INVALID_CALLBACK')
    const noSecret = await deliver('x', { secret: undefined })
    expect(noSecret.status).toBe(400)
    expect(noSecret.body.error.code).toBe('INVALID_CALLBACK')
    expect(state.started).toBe(0)
    expect(isc.attempts).toHaveLength(0)
  })
})

describe('DYNAMIC output validation', () => {
  it('an invalid decision is never sent: 500 when it comes in time, { secret, error } by callback when late', async () => {
    const now = await start({ mode: { mode: 'dynamic' }, handler: () => ({ approved: 'maybe' }) as never })
    const reply = await now.deliver('inv-dv1')
    expect(reply.status).toBe(500)
    expect(reply.body.error.code).toBe('INVALID_OUTPUT')
    expect(JSON.stringify(reply.body)).not.toContain('maybe')

    const { state, handler } = gatedHandler({ approved: 'maybe' })
    const late = await start({ mode: { mode: 'dynamic', timeoutMs: 20 }, handler })
    expect((await late.deliver('inv-dv2')).status).toBe(202)
    expect(state.finished).toBe(0)
    state.decided.open()
    const completion = await late.isc.waitForCompletion('inv-dv2')
    expect(completion.body).toEqual({ secret: SECRET, error: 'The subscriber returned an invalid decision' })
    expect(JSON.stringify(completion.body)).not.toContain('maybe')
  })
})

describe('the completion client', () => {
  it('retries after 503 with backoff until ISC accepts', async () => {
    const { isc, deliver, until } = await start({ mode: { mode: 'async' }, handler: () => DECISION })
    isc.failNext(2, 503)
    await deliver('inv-503')
    await isc.waitForCompletion('inv-503')
    expect(isc.attempts.map((a) => a.status)).toEqual([503, 503, 204])
    expect((await until(1))[0]).toMatchObject({ outcome: 'completed', attempts: 3, status: 204 })
  })

  it('honours Retry-After on 429', async () => {
    const { isc, deliver, until } = await start({ mode: { mode: 'async' }, handler: () => DECISION })
    isc.failNext(1, 429, { 'retry-after': '1' })
    await deliver('inv-429')
    await isc.waitForCompletion('inv-429')
    const [first, second] = isc.attempts
    expect(first?.status).toBe(429)
    expect(second?.status).toBe(204)
    // A lower bound only: a slow machine makes the gap longer, never shorter.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950)
    expect((await until(1))[0]).toMatchObject({ outcome: 'completed', attempts: 2 })
  })

  it('stops at a 400 (invocation already completed or expired): one attempt', async () => {
    // With a short deadline, a client that retried the 400 would report `expired` after several
    // attempts instead of hanging the test.
    const { isc, deliver, until } = await start({
      mode: { mode: 'async' },
      handler: () => DECISION,
      completion: { deadlineMs: 2_000 },
    })
    isc.finish('inv-400')
    await deliver('inv-400')
    expect((await until(1))[0]).toMatchObject({ outcome: 'rejected', attempts: 1, status: 400 })
    expect(isc.attempts.map((a) => a.status)).toEqual([400])
  })

  it('gives up at the invocation deadline', async () => {
    const deadlineMs = 1_000
    const { isc, deliver, until } = await start({
      mode: { mode: 'async' },
      handler: () => DECISION,
      completion: { deadlineMs },
    })
    isc.failNext(1_000, 503)
    const sent = Date.now()
    await deliver('inv-deadline')
    const [report] = await until(1)
    expect(report).toMatchObject({ outcome: 'expired', status: 503 })
    expect(report!.attempts).toBeGreaterThan(1) // it did retry before giving up
    // A client ignoring the deadline never reports: the wait above fails (a hang detector).
    expect(Date.now() - sent).toBeGreaterThanOrEqual(deadlineMs - 150) // it kept trying until then (less one backoff)
    const attemptsAtReport = isc.attempts.length
    await sleep(300)
    expect(isc.attempts).toHaveLength(attemptsAtReport) // and nothing is sent after giving up
  })

  it('close() waits for a pending callback', async () => {
    const { state, handler } = gatedHandler()
    const { isc, deliver, receiver } = await start({ mode: { mode: 'async' }, handler })
    await deliver('inv-close')
    expect(state.started).toBe(1)
    let closed = false
    const closing = receiver.close().then((report) => {
      closed = true
      return report
    })
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(closed).toBe(false) // the handler is held by its gate: close() is still waiting
    expect(isc.completions).toHaveLength(0)
    state.decided.open()
    await closing
    expect(state.finished).toBe(1)
    expect(isc.completions.map((c) => c.invocationId)).toEqual(['inv-close'])
  })
})

describe('the SSRF guard', () => {
  async function bystander() {
    let requests = 0
    const url = await listen(
      createServer((_req, res) => {
        requests++
        res.writeHead(204).end()
      }),
    )
    return { url, received: () => requests }
  }

  it('refuses a delivery whose callback points at a loopback port that is not allowed; that server receives nothing', async () => {
    const target = await bystander()
    const { state, handler } = gatedHandler()
    const { deliver, isc, receiver } = await start({ mode: { mode: 'async' }, handler })
    const reply = await deliver('inv-ssrf', {
      callbackURL: `${target.url}/beta/trigger-invocations/inv-ssrf/complete`,
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe('INVALID_CALLBACK')
    expect(JSON.stringify(reply.body)).not.toContain(target.url)
    await receiver.close() // anything it started in the background is done now
    await sleep(100)
    expect(state.started).toBe(0)
    expect(target.received()).toBe(0)
    expect(isc.attempts).toHaveLength(0)
  })

  it('completeInvocation() refuses it too, and never sends the token or the secret', async () => {
    const target = await bystander()
    const report = await completeInvocation(
      { callbackURL: `${target.url}/beta/trigger-invocations/x/complete`, secret: SECRET },
      { output: DECISION },
      { clientId: 'c', clientSecret: 's' },
    )
    expect(report).toMatchObject({ outcome: 'refused', attempts: 0 })
    await sleep(50)
    expect(target.received()).toBe(0)
  })

  it.each([
    ['plain http to an ISC host', 'http://acme.api.identitynow.com/beta/trigger-invocations/1/complete'],
    [
      'a look-alike host',
      'https://acme.api.identitynow.com.evil.example/beta/trigger-invocations/1/complete',
    ],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data'],
    [
      'credentials in the URL',
      'https://user:pw@acme.api.identitynow.com/beta/trigger-invocations/1/complete',
    ],
    ['another port', 'https://acme.api.identitynow.com:8443/beta/trigger-invocations/1/complete'],
    ['the bare suffix', 'https://api.identitynow.com/beta/trigger-invocations/1/complete'],
  ])('refuses %s', async (_name, callbackURL) => {
    const report = await completeInvocation({ callbackURL, secret: SECRET }, { output: DECISION })
    expect(report.outcome).toBe('refused')
  })
})
