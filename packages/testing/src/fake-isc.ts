import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One completion attempt the fake ISC received, whatever it answered. */
export interface ReceivedAttempt {
  invocationId: string
  /** The parsed JSON body (`{ secret, output }` or `{ secret, error }`), or the raw text if not JSON. */
  body: unknown
  headers: IncomingMessage['headers']
  /** What the fake answered. */
  status: number
  /** Milliseconds since the fake started. */
  at: number
}

/** A failure to answer instead of the normal behaviour, once per programmed entry. */
export interface ProgrammedFailure {
  status: number
  headers?: Record<string, string>
}

export interface FakeIscOptions {
  /** OAuth client credentials the token endpoint accepts; with them, completions need its bearer token. */
  clientId?: string
  clientSecret?: string
  /** `expires_in` of issued tokens, in seconds; default 3600. */
  tokenLifetimeSeconds?: number
  /** The port to listen on (127.0.0.1); default an ephemeral one. */
  port?: number
}

/**
 * A stand-in for ISC's side of request-response triggers, on loopback: the OAuth token endpoint
 * and the complete-invocation endpoint, with programmable failures.
 */
export interface FakeIsc {
  /** `http://127.0.0.1:<port>`: list it in `completion.allowedCallbackOrigins`. */
  readonly origin: string
  /** `<origin>/oauth/token`. */
  readonly tokenUrl: string
  /** The callback URL ISC would put in `_metadata` for this invocation. */
  callbackURL(invocationId: string): string
  /** Every completion attempt, in order. */
  readonly attempts: ReceivedAttempt[]
  /** Attempts accepted (204). */
  readonly completions: ReceivedAttempt[]
  /** Token requests received (form fields). */
  readonly tokenRequests: Record<string, string>[]
  /** Test invocations requested through `POST /beta/trigger-invocations/test` (their JSON bodies). */
  readonly testInvocations: unknown[]
  /** The next `count` completion attempts answer `status` (with `headers`, e.g. `Retry-After`). */
  failNext(count: number, status: number, headers?: Record<string, string>): void
  /** Marks an invocation finished: completing it answers 400, as ISC does. */
  finish(invocationId: string): void
  /** Invalidates issued tokens: completions with them answer 401 until a new token is fetched. */
  revokeTokens(): void
  /** Resolves with the first accepted completion of `invocationId` (rejects after `timeoutMs`). */
  waitForCompletion(invocationId: string, timeoutMs?: number): Promise<ReceivedAttempt>
  close(): Promise<void>
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers }).end(text)
}

const COMPLETE = /^\/(?:beta|v\d{4}|trigger-invocations\/v1)\/?(?:trigger-invocations\/)?([^/]+)\/complete$/

/**
 * Starts a fake ISC on 127.0.0.1 (an ephemeral port). It serves `POST /oauth/token` and
 * `POST /beta/trigger-invocations/:id/complete` (also `/v2025/...` and `/trigger-invocations/v1/...`),
 * answers 204 to a valid completion, 400 to an invocation already finished or a body without
 * `secret`, 401 without a valid token when credentials are configured, and whatever `failNext`
 * programmed first.
 *
 * @example
 * const isc = await startFakeIsc({ clientId: 'id', clientSecret: 'secret' })
 * const receiver = createTriggerReceiver({ auth, completion: { clientId: 'id', clientSecret: 'secret', allowedCallbackOrigins: [isc.origin] } })
 * // deliver with _metadata.callbackURL = isc.callbackURL('inv-1'), then:
 * const completion = await isc.waitForCompletion('inv-1')
 * await isc.close()
 */
export async function startFakeIsc(options: FakeIscOptions = {}): Promise<FakeIsc> {
  const started = Date.now()
  const attempts: ReceivedAttempt[] = []
  const completions: ReceivedAttempt[] = []
  const tokenRequests: Record<string, string>[] = []
  const testInvocations: unknown[] = []
  const failures: ProgrammedFailure[] = []
  const finished = new Set<string>()
  const validTokens = new Set<string>()
  const waiters = new Map<string, ((attempt: ReceivedAttempt) => void)[]>()
  let issued = 0
  const requireToken = options.clientId !== undefined

  async function onToken(req: IncomingMessage, res: ServerResponse) {
    const form = Object.fromEntries(new URLSearchParams(await readText(req)))
    tokenRequests.push(form)
    if (
      form.grant_type !== 'client_credentials' ||
      form.client_id !== options.clientId ||
      form.client_secret !== options.clientSecret
    )
      return send(res, 401, { error: 'invalid_client' })
    const token = `fake-token-${++issued}`
    validTokens.add(token)
    send(res, 200, {
      access_token: token,
      token_type: 'bearer',
      expires_in: options.tokenLifetimeSeconds ?? 3600,
    })
  }

  /** ISC's test-invocation API: records the request, answers one invocation per "subscription". */
  async function onTestInvocation(req: IncomingMessage, res: ServerResponse) {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (requireToken && (token === undefined || !validTokens.has(token)))
      return send(res, 401, { error: 'JWT validation failed' })
    let body: { triggerId?: unknown; input?: unknown; contentJson?: unknown }
    try {
      body = JSON.parse(await readText(req))
    } catch {
      return send(res, 400, { detailCode: '400.0 Bad request syntax' })
    }
    if (typeof body?.triggerId !== 'string' || typeof body.contentJson !== 'object')
      return send(res, 400, {
        detailCode: '400.1 Bad request content',
        messages: ['triggerId and contentJson are required'],
      })
    testInvocations.push(body)
    const id = `test-invocation-${testInvocations.length}`
    send(res, 200, [
      {
        id,
        triggerId: body.triggerId,
        secret: `secret-${testInvocations.length}`,
        contentJson: body.contentJson,
      },
    ])
  }

  async function onComplete(invocationId: string, req: IncomingMessage, res: ServerResponse) {
    const text = await readText(req)
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {}
    const record = (status: number) => {
      const attempt: ReceivedAttempt = {
        invocationId,
        body,
        headers: req.headers,
        status,
        at: Date.now() - started,
      }
      attempts.push(attempt)
      return attempt
    }
    const failure = failures.shift()
    if (failure) {
      record(failure.status)
      return send(res, failure.status, { message: 'programmed failure' }, failure.headers)
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (requireToken && (token === undefined || !validTokens.has(token))) {
      record(401)
      return send(res, 401, { error: 'JWT validation failed' })
    }
    const secret = (body as { secret?: unknown } | null)?.secret
    if (finished.has(invocationId) || typeof secret !== 'string') {
      record(400)
      return send(res, 400, { detailCode: '400.1.404 Referenced object not found' })
    }
    const attempt = record(204)
    finished.add(invocationId)
    completions.push(attempt)
    for (const resolve of waiters.get(invocationId) ?? []) resolve(attempt)
    waiters.delete(invocationId)
    send(res, 204)
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    const invocationId = COMPLETE.exec(path)?.[1]
    const handled =
      req.method !== 'POST'
        ? Promise.resolve(send(res, 405))
        : path === '/oauth/token'
          ? onToken(req, res)
          : path === '/beta/trigger-invocations/test'
            ? onTestInvocation(req, res)
            : invocationId !== undefined
              ? onComplete(decodeURIComponent(invocationId), req, res)
              : Promise.resolve(send(res, 404))
    handled.catch(() => send(res, 500))
  })
  server.listen(options.port ?? 0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    origin,
    tokenUrl: `${origin}/oauth/token`,
    callbackURL: (invocationId) =>
      `${origin}/beta/trigger-invocations/${encodeURIComponent(invocationId)}/complete`,
    attempts,
    completions,
    tokenRequests,
    testInvocations,
    failNext(count, status, headers) {
      for (let i = 0; i < count; i++) failures.push(headers ? { status, headers } : { status })
    },
    finish: (invocationId) => void finished.add(invocationId),
    revokeTokens: () => validTokens.clear(),
    waitForCompletion(invocationId, timeoutMs = 5_000) {
      const done = completions.find((attempt) => attempt.invocationId === invocationId)
      if (done) return Promise.resolve(done)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no completion of ${invocationId} within ${timeoutMs} ms`)),
          timeoutMs,
        )
        const list = waiters.get(invocationId) ?? []
        list.push((attempt) => {
          clearTimeout(timer)
          resolve(attempt)
        })
        waiters.set(invocationId, list)
      })
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
