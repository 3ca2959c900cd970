import { DEFAULT_INVOCATION_DEADLINE_MS, positiveNumber } from '../defaults.js'
import { TriggerConfigError } from '../errors.js'
import { checkCallbackUrl, normaliseOrigins } from './callback-guard.js'
import { CompletionRun, type RunSettings, refusedReport } from './completion-run.js'
import { invocationIdInUrl } from './metadata.js'
import { TokenCache } from './token-cache.js'

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
  /**
   * Backoff between attempts: jittered between `baseDelayMs` and `min(maxDelayMs, baseDelayMs *
   * 2^retry)`; default 500 ms / 30 s. `baseDelayMs` is a floor every retry waits, whatever a
   * `Retry-After` says (it may lengthen a wait, never shorten it).
   */
  retry?: { baseDelayMs?: number; maxDelayMs?: number }
  /** Longest wait for one HTTP attempt; default 10 000 ms. */
  attemptTimeoutMs?: number
  /** Told of every completion's outcome (no secrets in it). A throw or a rejection from it is ignored. */
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
 * - `rejected`: an answer that retrying cannot fix: a 4xx from ISC (400 for an invocation already
 *   completed or expired, 403, ...), a 3xx (a redirect is never followed: the secret and the token
 *   stay here), or the token endpoint refusing the credentials or redirecting.
 * - `expired`: the deadline passed while retrying 429s, 5xx or network errors.
 * - `refused`: the callback URL failed the guard (or the result is not JSON); nothing was sent.
 * - `abandoned`: stopped by its `signal` before it completed (the receiver's `close()` timed out);
 *   no retry follows and no timer is left.
 */
export interface CompletionReport {
  outcome: 'completed' | 'rejected' | 'expired' | 'refused' | 'abandoned'
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
   * deadline (epoch ms) or until `signal` aborts (outcome `abandoned`). Never throws: the report
   * says what happened.
   *
   * @example
   * const report = await client.complete(target, { output }, { deadline: receivedAt + 3_600_000, signal })
   */
  complete(
    target: CompletionTarget,
    result: CompletionResult,
    options?: { deadline?: number; signal?: AbortSignal },
  ): Promise<CompletionReport>
}

function positive(name: string, value: number | undefined, fallback: number): number {
  return positiveNumber(`completion.${name}`, value, fallback)
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
  const tokens =
    options.clientId === undefined
      ? undefined
      : new TokenCache(options.clientId, options.clientSecret!, attemptTimeoutMs)
  const settings: RunSettings = {
    baseDelayMs,
    maxDelayMs,
    attemptTimeoutMs,
    token: tokens && ((tokenUrl, fresh) => tokens.get(tokenUrl, fresh)),
    onCompletion: options.onCompletion,
  }

  /** A run, or the report of a completion that could not start (nothing was sent). */
  function start(
    target: CompletionTarget,
    result: CompletionResult,
    deadline: number,
    signal: AbortSignal | undefined,
  ): CompletionRun | CompletionReport {
    const ids = {
      invocationId: target.invocationId ?? invocationIdInUrl(target.callbackURL),
      triggerId: target.triggerId,
    }
    let url: URL
    try {
      url = checkCallbackUrl(target.callbackURL, allowed)
    } catch (error) {
      return refusedReport(
        settings,
        ids,
        error instanceof Error ? error.message : 'The callback URL is refused',
      )
    }
    let body: string
    try {
      body = JSON.stringify({ secret: target.secret, ...result })
    } catch {
      return refusedReport(settings, ids, 'The result is not JSON; nothing was sent')
    }
    const tokenUrl = tokens && (options.tokenUrl ?? `${url.origin}/oauth/token`)
    const decision = 'error' in result ? 'error' : 'output'
    return new CompletionRun(settings, url.href, body, tokenUrl, deadline, ids, signal, decision)
  }

  const client: StartingCompletionClient = {
    complete(target, result, { deadline = Date.now() + deadlineMs, signal } = {}) {
      const started = start(target, result, deadline, signal)
      return started instanceof CompletionRun ? started.report : Promise.resolve(started)
    },
    [START_COMPLETION]: (target, result, deadline) => start(target, result, deadline, undefined),
    [ATTEMPT_TIMEOUT]: attemptTimeoutMs,
  }
  return client
}

/**
 * @internal How the receiver starts a callback it may have to stop at close(): the run itself is
 * what close() stops, so a pending callback needs no AbortSignal (about 1 KB each in Node).
 */
export const START_COMPLETION = Symbol('isc-triggers.startCompletion')

/**
 * @internal The client's `attemptTimeoutMs`: the receiver stops a handler that has not decided
 * early enough for its error callback to get a full attempt before the deadline.
 */
export const ATTEMPT_TIMEOUT = Symbol('isc-triggers.attemptTimeout')

/** @internal A client made by createCompletionClient. */
export interface StartingCompletionClient extends CompletionClient {
  readonly [ATTEMPT_TIMEOUT]: number
  [START_COMPLETION](
    target: CompletionTarget,
    result: CompletionResult,
    deadline: number,
  ): CompletionRun | CompletionReport
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
