import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bearerOf, JSON_BODY_LIMIT, parseJsonOrText, readBody, send, TOO_LARGE } from './fake-isc/http.js'
import { createInvocationStore, type TestInvocationRequest } from './fake-isc/invocations.js'
import { invocationPath, matchRoute, type Route } from './fake-isc/routes.js'
import { subscriptionRoutes } from './fake-isc/subscription-routes.js'
import { createSubscriptionStore } from './fake-isc/subscription-store.js'
import { readTokenForm } from './fake-isc/token-form.js'
import type { FakeIsc, FakeIscOptions, ProgrammedFailure, ReceivedAttempt } from './fake-isc/types.js'

export type { StoredSubscription } from './fake-isc/subscription-input.js'
export type { FakeIsc, FakeIscOptions, ProgrammedFailure, ReceivedAttempt } from './fake-isc/types.js'

const NOT_FOUND = { detailCode: '400.1.404 Referenced object not found' }
const BAD_CONTENT = '400.1 Bad request content'

/**
 * Starts a fake ISC tenant on 127.0.0.1 (an ephemeral port unless `port` is given). It serves:
 *
 * - `POST /oauth/token`: client credentials, `application/x-www-form-urlencoded` or
 *   `multipart/form-data` (what SailPoint's `sailpoint-api-client` sends), at most 64 KiB;
 *   wrong ones get 401 `{ error: 'invalid_client' }`.
 * - `POST <prefix>/:id/complete`: 204 to a valid completion; 400 to an invocation already finished,
 *   a body without `secret`, or the wrong secret of a test invocation; whatever `failNext` programmed first.
 * - `POST <prefix>/test`: starts TEST invocations, one per subscription (`subscriptionIds`, or one
 *   default subscription), answering `[{ id, triggerId, secret, contentJson }]`.
 * - `GET <prefix>/status`: the invocations it knows, shaped as ISC's invocation status
 *   (`limit`, `offset`, `count`, and `filters` on `triggerId` / `subscriptionId`).
 *
 * - The trigger-subscription API, under `/trigger-subscriptions/v1` and `/beta/trigger-subscriptions`
 *   (also `/v2024`…) sharing one store: `GET` (list: `filters` on `id`/`triggerId`/`type`, `limit`,
 *   `offset`, `count`, `sorters`), `POST` (201), `GET|PUT|PATCH|DELETE /:id` (PATCH is a JSON
 *   patch; DELETE 204, then 404) and `POST /validate-filter` (`{ input, filter }` →
 *   `{ isValid, isValidJSONPath, isPathExist }`, evaluated with jsonpathly). ISC's rules hold:
 *   secrets answer `null`, `id`/`triggerId` are immutable, one subscription per request-response
 *   trigger, 400 on invalid input. `GET /triggers/v1` (and `/beta/triggers`) lists the catalog.
 *   These always need a bearer token from the token endpoint (so the fake needs `clientId`/`clientSecret`).
 *
 * `<prefix>` is any of `/beta/trigger-invocations`, `/v2024/trigger-invocations` (also `/v2025`,
 * `/v2026`) and `/trigger-invocations/v1`. With `clientId`/`clientSecret`, the API requires a
 * bearer token from the token endpoint (401 otherwise).
 *
 * @example
 * const isc = await startFakeIsc({ clientId: 'id', clientSecret: 'secret' })
 * const receiver = createTriggerReceiver({ auth, completion: { clientId: 'id', clientSecret: 'secret', allowedCallbackOrigins: [isc.origin] } })
 * // deliver with _metadata.callbackURL = isc.callbackURL('inv-1'), then:
 * const completion = await isc.waitForCompletion('inv-1')
 * await isc.close()
 *
 * @example
 * // SailPoint's own SDK logs in to it and calls it:
 * const config = new Configuration({ baseurl: isc.origin, tokenUrl: isc.tokenUrl, clientId: 'id', clientSecret: 'secret' })
 * const { data } = await new TriggersBetaApi(config).listTriggerInvocationStatus()
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
  const invocations = createInvocationStore()
  const subscriptions = createSubscriptionStore()
  let issued = 0
  const requireToken = options.clientId !== undefined

  /** False (after answering 401) when credentials are configured and the request lacks a valid token. */
  function authorized(req: IncomingMessage, res: ServerResponse): boolean {
    const token = bearerOf(req)
    if (!requireToken || (token !== undefined && validTokens.has(token))) return true
    send(res, 401, { error: 'JWT validation failed' })
    return false
  }

  /** The subscription API's check: a token the fake issued, whether or not credentials are configured. */
  function tokenHolder(req: IncomingMessage, res: ServerResponse): boolean {
    const token = bearerOf(req)
    if (token !== undefined && validTokens.has(token)) return true
    send(res, 401, { error: 'JWT validation failed' })
    return false
  }

  async function onToken(req: IncomingMessage, res: ServerResponse) {
    const read = await readTokenForm(req)
    if (!read.ok) return send(res, read.status, read.body)
    const form = read.form
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

  /** ISC's test-invocation API: records the request, answers one invocation per subscription. */
  async function onTestInvocation(req: IncomingMessage, res: ServerResponse) {
    if (!authorized(req, res)) return
    const read = await readBody(req, JSON_BODY_LIMIT)
    if (!read.ok) return send(res, 413, TOO_LARGE)
    let body: Partial<TestInvocationRequest> | null
    try {
      body = JSON.parse(read.bytes.toString('utf8'))
    } catch {
      return send(res, 400, { detailCode: '400.0 Bad request syntax' })
    }
    const ids = body?.subscriptionIds
    if (
      typeof body?.triggerId !== 'string' ||
      typeof body.contentJson !== 'object' ||
      body.contentJson === null ||
      (ids !== undefined && !(Array.isArray(ids) && ids.every((id) => typeof id === 'string')))
    )
      return send(res, 400, {
        detailCode: BAD_CONTENT,
        messages: ['triggerId and contentJson are required; subscriptionIds is a list of ids'],
      })
    testInvocations.push(body)
    send(res, 200, invocations.startTest(body as TestInvocationRequest))
  }

  /** ISC's invocation status list (`InvocationStatus` objects). */
  function onStatus(req: IncomingMessage, res: ServerResponse, _params: string[], url: URL) {
    if (!authorized(req, res)) return
    req.resume()
    const page = invocations.list(url.searchParams)
    if (!page.ok) return send(res, 400, { detailCode: BAD_CONTENT, messages: [page.message] })
    const count = url.searchParams.get('count') === 'true'
    send(res, 200, page.items, count ? { 'x-total-count': String(page.total) } : {})
  }

  async function onComplete(req: IncomingMessage, res: ServerResponse, [rawId]: string[]) {
    const invocationId = decodeURIComponent(rawId!)
    const read = await readBody(req, JSON_BODY_LIMIT)
    const body = read.ok ? parseJsonOrText(read.bytes.toString('utf8')) : undefined
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
    if (!read.ok) {
      record(413)
      return send(res, 413, TOO_LARGE)
    }
    const failure = failures.shift()
    if (failure) {
      record(failure.status)
      return send(res, failure.status, { message: 'programmed failure' }, failure.headers)
    }
    if (!authorized(req, res)) return void record(401)
    const fields = (typeof body === 'object' && body !== null ? body : {}) as {
      secret?: unknown
      output?: unknown
      error?: unknown
    }
    if (finished.has(invocationId) || typeof fields.secret !== 'string') {
      record(400)
      return send(res, 400, NOT_FOUND)
    }
    if (!invocations.secretMatches(invocationId, fields.secret)) {
      record(400)
      return send(res, 400, { detailCode: BAD_CONTENT, messages: ['invalid invocation secret'] })
    }
    const attempt = record(204)
    finished.add(invocationId)
    invocations.complete(invocationId, fields)
    completions.push(attempt)
    for (const resolve of waiters.get(invocationId) ?? []) resolve(attempt)
    waiters.delete(invocationId)
    send(res, 204)
  }

  const routes: Route[] = [
    { method: 'POST', path: /^\/oauth\/token$/, handle: onToken },
    { method: 'POST', path: invocationPath('/test'), handle: onTestInvocation },
    { method: 'GET', path: invocationPath('/status'), handle: onStatus },
    { method: 'POST', path: invocationPath('/([^/]+)/complete'), handle: onComplete },
    ...subscriptionRoutes(subscriptions, tokenHolder),
  ]

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const route = matchRoute(routes, req.method ?? 'GET', url.pathname)
    if (route.kind !== 'found') {
      req.resume()
      return route.kind === 'method'
        ? send(res, 405, { detailCode: '405 Method not allowed' }, { allow: route.allow.join(', ') })
        : send(res, 404, { detailCode: '404 Not found' })
    }
    Promise.resolve()
      .then(() => route.handle(req, res, route.params, url))
      .catch(() => send(res, 500, { detailCode: '500.0 Internal fault' }))
  })
  // A client that never finishes its request is cut off (Node answers 408), so no read waits forever.
  server.requestTimeout = 10_000
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
    get subscriptions() {
      return subscriptions.all()
    },
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
