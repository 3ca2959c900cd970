import { DEFAULT_INVOCATION_DEADLINE_MS, positiveNumber } from '../defaults.js'
import { TriggerConfigError, type TriggerError } from '../errors.js'
import { checkCallbackUrl, normaliseOrigins } from './callback-guard.js'
import { invocationIdInUrl } from './metadata.js'

/**
 * How ASYNC and DYNAMIC results reach ISC. All optional: without credentials the callback carries
 * only the invocation's secret (as SailPoint's own sample does).
 *
 * @example
 * {
 *   clientId: process.env.ISC_CLIENT_ID, clientSecret: process.env.ISC_CLIENT_SECRET,
 *   allowedCallbackOrigins: ['https://acme.api.identitynow.com'],
 * }
 */
export interface CompletionOptions {
  /** OAuth client id (API client or personal access token) for a client-credentials token. */
  clientId?: string
  /** Its secret. Sent only to the token URL. */
  clientSecret?: string
  /** Where the token comes from; default `<callback URL origin>/oauth/token` (the tenant's API host). */
  tokenUrl?: string
  /** Origins trusted as callback targets besides ISC's API hosts, exactly as written. */
  allowedCallbackOrigins?: readonly string[]
  /** How long after receipt an invocation may still be completed; default 1 h (ISC's `responseDeadline` default). */
  deadlineMs?: number
  /** Backoff between attempts: full jitter up to `min(maxDelayMs, baseDelayMs * 2^attempt)`; default 500 ms / 30 s. */
  retry?: { baseDelayMs?: number; maxDelayMs?: number }
  /** Longest wait for one HTTP attempt; default 10 000 ms. */
  attemptTimeoutMs?: number
  /** Told of every completion's outcome (no secrets in it). */
  onCompletion?: (report: CompletionReport) => void
}

/** What to send: the decision, or an error saying the invocation failed. */
export type CompletionResult = { output: unknown } | { error: string }

/** Where to send it, from the delivery's `_metadata`. */
export interface CompletionTarget {
  callbackURL: string
  secret: string
  /** For reports and logs; taken from the URL when absent. */
  invocationId?: string | undefined
  triggerId?: string | undefined
}

/**
 * The outcome of one completion.
 * - `completed`: ISC accepted it (2xx).
 * - `rejected`: ISC answered a 4xx that retrying cannot fix (400 for an invocation already
 *   completed or expired, 403, ...).
 * - `expired`: the deadline passed while retrying 429s, 5xx or network errors.
 * - `refused`: the callback URL failed the guard; nothing was sent.
 */
export interface CompletionReport {
  outcome: 'completed' | 'rejected' | 'expired' | 'refused'
  invocationId: string | undefined
  triggerId: string | undefined
  /** HTTP attempts made on the callback URL. */
  attempts: number
  /** The last HTTP status ISC answered, if any. */
  status: number | undefined
  durationMs: number
  /** Why it did not complete, without secrets. */
  reason?: string
}

/** Sends completions; keeps one cached OAuth token per token URL. */
export interface CompletionClient {
  /**
   * POSTs `{ secret, output }` or `{ secret, error }` to the callback URL, retrying until the
   * deadline. Never throws: the report says what happened.
   */
  complete(
    target: CompletionTarget,
    result: CompletionResult,
    options?: { deadline?: number },
  ): Promise<CompletionReport>
}

const TOKEN_MARGIN_MS = 60_000

function positive(name: string, value: number | undefined, fallback: number): number {
  return positiveNumber(`completion.${name}`, value, fallback)
}

/** Seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The token endpoint refused the credentials: retrying cannot help. */
class TokenRefused extends Error {}

interface CachedToken {
  value: string
  expiresAt: number
}

/**
 * Creates the client the receiver uses for ASYNC and DYNAMIC callbacks; also usable on its own
 * when the work runs elsewhere (a queue worker that completes invocations later).
 *
 * @example
 * const client = createCompletionClient({ clientId, clientSecret })
 * const report = await client.complete(
 *   { callbackURL: invocation.callbackURL!, secret: invocation.secret! },
 *   { output: { approved: true, comment: 'ok', approver: 'svc' } },
 * )
 * if (report.outcome !== 'completed') console.warn(report.reason)
 */
export function createCompletionClient(options: CompletionOptions = {}): CompletionClient {
  const allowed = normaliseOrigins(options.allowedCallbackOrigins)
  if ((options.clientId === undefined) !== (options.clientSecret === undefined))
    throw new TriggerConfigError('completion: give both clientId and clientSecret, or neither')
  const deadlineMs = positive('deadlineMs', options.deadlineMs, DEFAULT_INVOCATION_DEADLINE_MS)
  const baseDelayMs = positive('retry.baseDelayMs', options.retry?.baseDelayMs, 500)
  const maxDelayMs = positive('retry.maxDelayMs', options.retry?.maxDelayMs, 30_000)
  const attemptTimeoutMs = positive('attemptTimeoutMs', options.attemptTimeoutMs, 10_000)
  if (options.tokenUrl !== undefined) {
    try {
      new URL(options.tokenUrl)
    } catch {
      throw new TriggerConfigError('completion.tokenUrl must be a URL')
    }
  }
  const tokens = new Map<string, Promise<CachedToken>>()

  async function fetchToken(tokenUrl: string): Promise<CachedToken> {
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: options.clientId!,
        client_secret: options.clientSecret!,
      }),
      signal: AbortSignal.timeout(attemptTimeoutMs),
    })
    if (response.status >= 400 && response.status < 500 && response.status !== 429)
      throw new TokenRefused(`the token endpoint answered ${response.status}`)
    if (!response.ok) throw new Error(`the token endpoint answered ${response.status}`)
    const body = (await response.json()) as { access_token?: unknown; expires_in?: unknown }
    if (typeof body.access_token !== 'string') throw new Error('the token endpoint sent no access_token')
    const lifetimeMs = typeof body.expires_in === 'number' ? body.expires_in * 1000 : 0
    return { value: body.access_token, expiresAt: Date.now() + Math.max(0, lifetimeMs - TOKEN_MARGIN_MS) }
  }

  /** A cached token while it is valid; one request at a time per token URL. */
  async function token(tokenUrl: string, fresh: boolean): Promise<string> {
    let cached = fresh ? undefined : tokens.get(tokenUrl)
    if (cached) {
      const settled = await cached.catch(() => undefined)
      if (!settled || settled.expiresAt <= Date.now()) cached = undefined
    }
    if (!cached) {
      cached = fetchToken(tokenUrl)
      tokens.set(tokenUrl, cached)
      cached.catch(() => tokens.delete(tokenUrl))
    }
    return (await cached).value
  }

  async function complete(
    target: CompletionTarget,
    result: CompletionResult,
    { deadline = Date.now() + deadlineMs }: { deadline?: number } = {},
  ): Promise<CompletionReport> {
    const started = Date.now()
    const invocationId = target.invocationId ?? invocationIdInUrl(target.callbackURL)
    const report = (
      outcome: CompletionReport['outcome'],
      attempts: number,
      status: number | undefined,
      reason?: string,
    ): CompletionReport => {
      const out: CompletionReport = {
        outcome,
        invocationId,
        triggerId: target.triggerId,
        attempts,
        status,
        durationMs: Date.now() - started,
      }
      if (reason !== undefined) out.reason = reason
      options.onCompletion?.(out)
      return out
    }

    let url: URL
    try {
      url = checkCallbackUrl(target.callbackURL, allowed)
    } catch (error) {
      return report('refused', 0, undefined, (error as TriggerError).message)
    }
    const tokenUrl =
      options.clientId === undefined ? undefined : (options.tokenUrl ?? `${url.origin}/oauth/token`)
    const body = JSON.stringify({ secret: target.secret, ...result })
    let attempts = 0
    let status: number | undefined
    let refreshed = false
    let reason = 'the deadline passed'

    for (let retry = 0; ; retry++) {
      let waitMs: number | undefined
      try {
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          accept: 'application/json',
        }
        if (tokenUrl) headers.authorization = `Bearer ${await token(tokenUrl, false)}`
        attempts++
        const response = await fetch(url, {
          method: 'POST',
          headers,
          body,
          redirect: 'error', // a redirect could lead the secret elsewhere
          signal: AbortSignal.timeout(Math.max(1, Math.min(attemptTimeoutMs, deadline - Date.now()))),
        })
        status = response.status
        await response.body?.cancel()
        if (response.ok) return report('completed', attempts, status)
        if (status === 401 && tokenUrl && !refreshed) {
          // The cached token may have been revoked: fetch a new one, once.
          refreshed = true
          await token(tokenUrl, true)
          retry--
          continue
        }
        if (status === 429) waitMs = retryAfterMs(response.headers.get('retry-after'))
        else if (status < 500) return report('rejected', attempts, status, `ISC answered ${status}`)
        reason = `ISC answered ${status}`
      } catch (error) {
        if (error instanceof TokenRefused) return report('rejected', attempts, status, error.message)
        reason = `the request failed: ${error instanceof Error ? error.message : 'network error'}`
      }
      const backoff = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** retry)
      const delay = waitMs ?? backoff
      if (Date.now() + delay >= deadline) return report('expired', attempts, status, reason)
      await sleep(delay)
    }
  }

  return { complete }
}

/**
 * Completes one invocation without a receiver: for services that take the work off the request
 * (a queue) and decide later. Resolves with the report; never throws for ISC's answer.
 *
 * @example
 * await completeInvocation(
 *   { callbackURL: job.callbackURL, secret: job.secret },
 *   { output: { approved: false, comment: 'Denied by policy', approver: 'svc' } },
 *   { clientId, clientSecret },
 * )
 */
export function completeInvocation(
  target: CompletionTarget,
  result: CompletionResult,
  options: CompletionOptions & { deadline?: number } = {},
): Promise<CompletionReport> {
  const { deadline, ...clientOptions } = options
  return createCompletionClient(clientOptions).complete(
    target,
    result,
    deadline === undefined ? {} : { deadline },
  )
}
