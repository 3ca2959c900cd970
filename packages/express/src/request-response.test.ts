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
  type TriggerOutput,
} from '@isc-triggers/core'
import { type FakeIscOptions, sampleInput, startFakeIsc } from '@isc-triggers/testing'
import { bearer, TEST_TOKEN } from '@isc-triggers-internal/test-utils'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { createTriggerMiddleware } from './middleware.js'

// ASYNC, DYNAMIC and SYNC replies through a real Express app on a loopback port, with a fake ISC
// (OAuth token + complete-invocation endpoints) receiving the callbacks.

type Decision = TriggerOutput<'idn:access-request-pre-approval'>
type Handler = (input: unknown, ctx: TriggerContext) => Decision | Promise<Decision>

const DECISION: Decision = { approved: true, comment: 'Within policy', approver: 'svc-access-policy' }
const SECRET = '9d3b6a1e-0c4f-4e8a-b2d7-5f1c3e9a7b60'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const cleanup: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

interface Setup {
  mode: RequestResponseOptions<Decision>
  handler: Handler
  completion?: Partial<CompletionOptions>
  isc?: FakeIscOptions
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanup.push(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function start({ mode, handler, completion = {}, isc: iscOptions = {} }: Setup) {
  const isc = await startFakeIsc(iscOptions)
  cleanup.push(() => isc.close())
  const reports: CompletionReport[] = []
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens: [TEST_TOKEN] },
    logger: false,
    completion: {
      allowedCallbackOrigins: [isc.origin],
      retry: { baseDelayMs: 20, maxDelayMs: 100 },
      onCompletion: (report) => reports.push(report),
      ...completion,
    },
  })
  receiver.on('idn:access-request-pre-approval', handler as never, mode as never)
  const app = express()
  app.use('/isc/triggers', createTriggerMiddleware(receiver))
  const base = await listen(createServer(app))

  async function deliver(invocationId: string, metadata: Record<string, unknown> | null = {}) {
    const body = {
      ...sampleInput('idn:access-request-pre-approval'),
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
    const started = performance.now()
    const response = await fetch(`${base}/isc/triggers/access-request-pre-approval`, {
      method: 'POST',
      headers: { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return { status: response.status, body: await response.json(), ms: performance.now() - started }
  }
  return { isc, receiver, reports, deliver }
}

/** A handler whose progress the test can see. */
function slowHandler(ms: number, output: unknown = { ...DECISION, notForIsc: 'stripped' }) {
  const state = { started: 0, finished: 0, ctx: undefined as TriggerContext | undefined }
  const handler: Handler = async (_input, ctx) => {
    state.started++
    state.ctx = ctx
    await sleep(ms)
    state.finished++
    return output as Decision
  }
  return { state, handler }
}

describe('ASYNC', () => {
  it('acknowledges 200 {} while the handler still runs, then POSTs { secret, output } to the callback', async () => {
    const { state, handler } = slowHandler(300)
    const { isc, deliver, reports } = await start({ mode: { mode: 'async' }, handler })
    await deliver('inv-warm-up')
    await isc.waitForCompletion('inv-warm-up')
    while (reports.length === 0) await sleep(5) // the client reports just after ISC answers
    reports.length = 0
    state.started = 0
    state.finished = 0
    const ack = await deliver('inv-async-1')
    expect(ack.status).toBe(200)
    expect(ack.body).toEqual({})
    expect(state.started).toBe(1)
    expect(state.finished).toBe(0)
    expect(ack.ms).toBeLessThan(250)
    const completion = await isc.waitForCompletion('inv-async-1')
    expect(completion.body).toEqual({ secret: SECRET, output: DECISION })
    expect(completion.headers['content-type']).toBe('application/json')
    expect(completion.headers.authorization).toBeUndefined()
    expect(state.ctx?.invocation?.invocationId).toBe('inv-async-1')
    await sleep(5)
    expect(reports).toEqual([
      expect.objectContaining({ outcome: 'completed', attempts: 1, invocationId: 'inv-async-1' }),
    ])
    console.info(`[measured] ASYNC ack latency with a 300 ms handler: ${ack.ms.toFixed(1)} ms`)
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
    const { isc, deliver, reports } = await start({
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
    await sleep(5)
    expect(reports.at(-1)).toMatchObject({ outcome: 'completed', attempts: 2 })
  })

  it('refuses a delivery without a callback (400), before running the handler', async () => {
    const { state, handler } = slowHandler(1)
    const { deliver } = await start({ mode: { mode: 'async' }, handler })
    const noMetadata = await deliver('x', null)
    expect(noMetadata.status).toBe(400)
    expect(noMetadata.body.error.code).toBe('INVALID_CALLBACK')
    const noSecret = await deliver('x', { secret: undefined })
    expect(noSecret.status).toBe(400)
    expect(state.started).toBe(0)
  })
})

describe('DYNAMIC', () => {
  it('answers 200 with the decision when the handler settles within the budget; no callback', async () => {
    const { isc, deliver } = await start({
      mode: { mode: 'dynamic', timeoutMs: 500 },
      handler: () => DECISION,
    })
    const reply = await deliver('inv-d1')
    expect(reply).toMatchObject({ status: 200, body: DECISION })
    await sleep(50)
    expect(isc.attempts).toHaveLength(0)
  })

  it('answers 202 {} when the handler calls ctx.defer(), then calls back', async () => {
    const { isc, deliver } = await start({
      mode: { mode: 'dynamic' },
      handler: async (_input, ctx) => {
        ctx.defer()
        await sleep(150)
        return DECISION
      },
    })
    const reply = await deliver('inv-d2')
    expect(reply).toMatchObject({ status: 202, body: {} })
    expect(reply.ms).toBeLessThan(120)
    expect((await isc.waitForCompletion('inv-d2')).body).toEqual({ secret: SECRET, output: DECISION })
  })

  it('answers 202 {} when the handler runs past the budget, then calls back', async () => {
    const { state, handler } = slowHandler(250)
    const { isc, deliver } = await start({ mode: { mode: 'dynamic', timeoutMs: 60 }, handler })
    const reply = await deliver('inv-d3')
    expect(reply).toMatchObject({ status: 202, body: {} })
    expect(state.finished).toBe(0)
    expect((await isc.waitForCompletion('inv-d3')).body).toEqual({ secret: SECRET, output: DECISION })
  })
})

describe('DYNAMIC output validation', () => {
  it('an invalid decision is never sent: 500 when it comes in time, { secret, error } by callback when late', async () => {
    const now = await start({ mode: { mode: 'dynamic' }, handler: () => ({ approved: 'maybe' }) as never })
    const reply = await now.deliver('inv-dv1')
    expect(reply.status).toBe(500)
    expect(reply.body.error.code).toBe('INVALID_OUTPUT')
    expect(JSON.stringify(reply.body)).not.toContain('maybe')

    const late = await start({
      mode: { mode: 'dynamic', timeoutMs: 20 },
      handler: async () => {
        await sleep(80)
        return { approved: 'maybe' } as never
      },
    })
    expect((await late.deliver('inv-dv2')).status).toBe(202)
    const completion = await late.isc.waitForCompletion('inv-dv2')
    expect(completion.body).toEqual({ secret: SECRET, error: 'The subscriber returned an invalid decision' })
  })
})

describe('the completion client', () => {
  it('retries after 503 with backoff until ISC accepts', async () => {
    const { isc, deliver, reports } = await start({ mode: { mode: 'async' }, handler: () => DECISION })
    isc.failNext(2, 503)
    await deliver('inv-503')
    await isc.waitForCompletion('inv-503')
    await sleep(5)
    expect(isc.attempts.map((a) => a.status)).toEqual([503, 503, 204])
    expect(reports[0]).toMatchObject({ outcome: 'completed', attempts: 3, status: 204 })
    console.info(
      `[measured] 2 x 503 then 204: ${reports[0]?.attempts} attempts in ${reports[0]?.durationMs} ms`,
    )
  })

  it('honours Retry-After on 429', async () => {
    const { isc, deliver, reports } = await start({ mode: { mode: 'async' }, handler: () => DECISION })
    isc.failNext(1, 429, { 'retry-after': '1' })
    await deliver('inv-429')
    await isc.waitForCompletion('inv-429')
    const [first, second] = isc.attempts
    expect(first?.status).toBe(429)
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950)
    await sleep(5)
    console.info(
      `[measured] 429 Retry-After: 1 then 204: ${reports[0]?.attempts} attempts in ${reports[0]?.durationMs} ms`,
    )
  })

  it('stops at a 400 (invocation already completed or expired): one attempt', async () => {
    const { isc, deliver, reports } = await start({ mode: { mode: 'async' }, handler: () => DECISION })
    isc.finish('inv-400')
    await deliver('inv-400')
    await sleep(300)
    expect(isc.attempts.map((a) => a.status)).toEqual([400])
    expect(reports[0]).toMatchObject({ outcome: 'rejected', attempts: 1, status: 400 })
  })

  it('gives up at the invocation deadline', async () => {
    const { isc, deliver, reports } = await start({
      mode: { mode: 'async' },
      handler: () => DECISION,
      completion: { deadlineMs: 600 },
    })
    isc.failNext(1000, 503)
    const sent = Date.now()
    await deliver('inv-deadline')
    while (reports.length === 0 && Date.now() - sent < 3_000) await sleep(20)
    expect(reports[0]).toMatchObject({ outcome: 'expired', status: 503 })
    expect(reports[0]!.attempts).toBeGreaterThan(2)
    expect(Date.now() - sent).toBeLessThan(1_200)
    console.info(
      `[measured] 503 forever, 600 ms deadline: gave up after ${reports[0]?.attempts} attempts in ${reports[0]?.durationMs} ms`,
    )
  })

  it('close() waits for a pending callback', async () => {
    const { state, handler } = slowHandler(300)
    const { isc, deliver, receiver } = await start({ mode: { mode: 'async' }, handler })
    await deliver('inv-close')
    expect(isc.completions).toHaveLength(0)
    const started = performance.now()
    await receiver.close()
    expect(state.finished).toBe(1)
    expect(isc.completions.map((c) => c.invocationId)).toEqual(['inv-close'])
    console.info(
      `[measured] close() drained one pending callback in ${(performance.now() - started).toFixed(0)} ms`,
    )
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
    const { state, handler } = slowHandler(1)
    const { deliver, isc } = await start({ mode: { mode: 'async' }, handler })
    const reply = await deliver('inv-ssrf', {
      callbackURL: `${target.url}/beta/trigger-invocations/inv-ssrf/complete`,
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe('INVALID_CALLBACK')
    expect(JSON.stringify(reply.body)).not.toContain(target.url)
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
