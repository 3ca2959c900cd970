import { type Running, STOP } from '../dispatch/running.js'
import { type CallbackTrace, openCallbackTrace } from '../observability/callback-trace.js'
import type { CallbackAttemptOutcome, CallbackTraceContext } from '../observability/channels.js'
import type { CompletionReport } from './completion-client.js'
import { discard, isRedirect, postOnce } from './http-attempt.js'
import { TokenRefused } from './token-cache.js'

/** What every completion of one client shares. */
export interface RunSettings {
  baseDelayMs: number
  maxDelayMs: number
  attemptTimeoutMs: number
  /** A bearer token for `tokenUrl` (`fresh`: not the cached one); absent without credentials. */
  token: ((tokenUrl: string, fresh: boolean) => Promise<string>) | undefined
  onCompletion: ((report: CompletionReport) => unknown) | undefined
}

/** Seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now. */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

/**
 * The wait before retry `retry` (0 for the first): jittered between `baseDelayMs` and
 * `min(maxDelayMs, baseDelayMs * 2^retry)`. A `Retry-After` may lengthen it, never shorten it, so
 * `Retry-After: 0` cannot turn retries into a busy loop.
 *
 * @example
 * backoff(0, 500, 30_000, 0) // 500: Retry-After 0 still waits the floor
 */
export function backoff(retry: number, baseDelayMs: number, maxDelayMs: number, retryAfter = 0): number {
  const floor = Math.min(baseDelayMs, maxDelayMs)
  const ceiling = Math.max(floor, Math.min(maxDelayMs, baseDelayMs * 2 ** retry))
  return Math.max(floor + Math.random() * (ceiling - floor), retryAfter)
}

/** The longest delay setTimeout takes (2^31-1 ms, ~24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * A wait as a setTimeout delay: at most MAX_TIMER_MS, so a huge Retry-After (with a deadline
 * further still) retries after ~24.8 days instead of overflowing into a retry at once, in a loop.
 * (A wait that reaches past the deadline never gets a timer: the run ends `expired`.)
 *
 * @example
 * timerDelay(5_000_000_000) // 2147483647
 */
export function timerDelay(wait: number): number {
  return Math.min(Math.max(0, wait), MAX_TIMER_MS)
}

/** Tells `onCompletion` without letting it change anything: a throw or a rejection is ignored. */
function tell(onCompletion: RunSettings['onCompletion'], report: CompletionReport): void {
  try {
    const told = onCompletion?.(report)
    if (told instanceof Promise) told.catch(() => {})
  } catch {}
}

/** The report of a callback URL the guard refused: nothing was sent. */
export function refusedReport(
  settings: RunSettings,
  ids: Pick<CompletionReport, 'invocationId' | 'triggerId'>,
  reason: string,
): CompletionReport {
  const report: CompletionReport = {
    outcome: 'refused',
    ...ids,
    attempts: 0,
    status: undefined,
    durationMs: 0,
    reason,
  }
  tell(settings.onCompletion, report)
  return report
}

const STOPPED_REASON = 'stopped before it completed (receiver.close() timed out, or its signal aborted)'

function wake(run: CompletionRun): void {
  run.wake()
}

/** What one attempt ended with. */
type Step = { wait: number } | 'again' | 'done'

/**
 * One completion: POSTs `body` to `url` until ISC accepts, refuses, or the deadline passes, or
 * until `signal` aborts (outcome `abandoned`: the current attempt or wait is cut at once and no
 * timer is left). Between attempts it is only a timer and these fields: the URL, the body, the
 * deadline and counters (no async frame, no closure over the payload), so thousands of pending
 * callbacks cost little.
 */
export class CompletionRun implements Running {
  readonly report: Promise<CompletionReport>
  #resolve!: (report: CompletionReport) => void
  #done = false
  #attempts = 0
  /** Tries on the callback channel: each POST, and each token request that did not lead to one. */
  #tries = 0
  #retry = 0
  #refreshed = false
  #status: number | undefined
  #reason: string | undefined
  readonly #started = Date.now()
  // What the run waits on now, for a stop to cut short. Fields rather than closures: a pending
  // run is then only this object and its timer.
  #timer: NodeJS.Timeout | undefined
  #attempt: AbortController | undefined
  /** The attempt's trace on the callback channel, from its POST until its outcome is known. */
  #trace: CallbackTrace | undefined
  #stopWaiting: (() => void) | undefined
  readonly #signal: AbortSignal | undefined

  constructor(
    private readonly settings: RunSettings,
    private readonly url: string,
    private readonly body: string,
    private readonly tokenUrl: string | undefined,
    private readonly deadline: number,
    private readonly ids: Pick<CompletionReport, 'invocationId' | 'triggerId'>,
    signal: AbortSignal | undefined,
    /** What is sent, for the callback channel: the handler's output, or an error. */
    private readonly decision: CallbackTraceContext['decision'] = 'output',
  ) {
    this.report = new Promise((resolve) => {
      this.#resolve = resolve
    })
    this.#signal = signal
    if (signal?.aborted) {
      this.#finish('abandoned', STOPPED_REASON)
      return
    }
    signal?.addEventListener('abort', this, { once: true })
    this.#next()
  }

  /** The signal aborted (an EventListener object: no closure per run). */
  handleEvent(): void {
    this.#finish('abandoned', STOPPED_REASON)
  }

  /** close() timed out: the receiver stops the run without an AbortSignal of its own. */
  [STOP](): 'callback' {
    this.#finish('abandoned', STOPPED_REASON)
    return 'callback'
  }

  /** The backoff timer fired. */
  wake(): void {
    this.#timer = undefined
    this.#next()
  }

  #finish(outcome: CompletionReport['outcome'], reason?: string): void {
    if (this.#done) return
    this.#done = true
    this.#signal?.removeEventListener('abort', this)
    clearTimeout(this.#timer)
    this.#attempt?.abort()
    this.#stopWaiting?.()
    const report: CompletionReport = {
      outcome,
      invocationId: this.ids.invocationId,
      triggerId: this.ids.triggerId,
      attempts: this.#attempts,
      status: this.#status,
      durationMs: Date.now() - this.#started,
    }
    if (reason !== undefined) report.reason = reason
    tell(this.settings.onCompletion, report)
    this.#resolve(report)
  }

  /** Makes the next attempt now; then finishes, tries again at once, or waits on a timer. */
  #next(): void {
    if (this.#done) return
    const left = this.deadline - Date.now()
    if (left <= 0) {
      this.#finish('expired', this.#reason ?? 'the deadline passed')
      return
    }
    this.#step(Math.min(this.settings.attemptTimeoutMs, left)).then(
      (step) => {
        if (step === 'done' || this.#done) return
        if (step === 'again') this.#next()
        else if (Date.now() + step.wait >= this.deadline) this.#finish('expired', this.#reason)
        else this.#timer = setTimeout(wake, timerDelay(step.wait), this)
      },
      (error: unknown) =>
        this.#finish('expired', `the completion failed: ${error instanceof Error ? error.message : 'error'}`),
    )
  }

  /** One attempt and what follows it. */
  async #step(timeoutMs: number): Promise<Step> {
    let retryAfter: number | undefined
    try {
      // The trace covers the token request too: a refused or unreachable token endpoint is how
      // a decision is most often lost, and it must show on the callback channel.
      this.#trace = openCallbackTrace(this.ids, ++this.#tries, this.decision)
      const post = () => this.#post(timeoutMs)
      const status = await (this.#trace ? this.#trace.around(post) : post())
      if (status === undefined) {
        this.#attemptEnded('abandoned', undefined)
        return 'done' // stopped
      }
      const code = status.code
      this.#status = code
      if (code >= 200 && code < 300) {
        this.#attemptEnded('completed', code)
        this.#finish('completed')
        return 'done'
      }
      if (code === 401 && this.tokenUrl && !this.#refreshed) {
        // The cached token may have been revoked: fetch a new one, once, and try again at once.
        this.#attemptEnded('retry', code)
        this.#refreshed = true
        await this.#bearer(true)
        return 'again'
      }
      if (isRedirect(code)) {
        this.#attemptEnded('rejected', code)
        this.#finish(
          'rejected',
          `ISC answered ${code}, a redirect, which is never followed (the secret stays here)`,
        )
        return 'done'
      }
      if (code === 429 || code === 503) retryAfter = status.retryAfter
      else if (code < 500) {
        this.#attemptEnded('rejected', code)
        this.#finish('rejected', `ISC answered ${code}`)
        return 'done'
      }
      this.#attemptEnded('retry', code)
      this.#reason = `ISC answered ${code}`
    } catch (error) {
      if (this.#done) {
        this.#attemptEnded('abandoned', undefined)
        return 'done'
      }
      if (error instanceof TokenRefused) {
        this.#attemptEnded('rejected', undefined, error)
        this.#finish('rejected', error.message)
        return 'done'
      }
      this.#attemptEnded('retry', undefined, error)
      this.#reason = `the request failed: ${error instanceof Error ? error.message : 'network error'}`
    }
    const { baseDelayMs, maxDelayMs } = this.settings
    return { wait: backoff(this.#retry++, baseDelayMs, maxDelayMs, retryAfter) }
  }

  /** Tells the callback channel how the attempt in flight ended (when it is traced). */
  #attemptEnded(outcome: CallbackAttemptOutcome, status: number | undefined, error?: unknown): void {
    const trace = this.#trace
    if (trace === undefined) return
    this.#trace = undefined
    trace.finish(outcome, status, error)
  }

  /** A bearer token, or undefined as soon as the run is stopped (or without credentials). */
  #bearer(fresh: boolean): Promise<string | undefined> {
    const { token } = this.settings
    if (!this.tokenUrl || !token) return Promise.resolve(undefined)
    // A shared token request is not cut short by one run's stop; the run just stops waiting.
    return this.#unlessStopped(token(this.tokenUrl, fresh))
  }

  /** One POST: its status and Retry-After, or undefined when the run was stopped meanwhile. */
  async #post(timeoutMs: number): Promise<{ code: number; retryAfter: number | undefined } | undefined> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
    const bearer = await this.#bearer(false)
    if (this.#done) return undefined
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`
    this.#attempts++
    const controller = new AbortController()
    this.#attempt = controller
    try {
      // The attempt's time limit covers dropping the body as well (see http-attempt.ts).
      const answer = await postOnce(
        this.url,
        headers,
        this.body,
        timeoutMs,
        async (response) => {
          const retryAfter = retryAfterMs(response.headers.get('retry-after'))
          await discard(response)
          return { code: response.status, retryAfter }
        },
        controller,
      )
      return this.#done ? undefined : answer
    } finally {
      this.#attempt = undefined
    }
  }

  /** `work`'s value, or undefined as soon as the run is stopped. */
  #unlessStopped<T>(work: Promise<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      this.#stopWaiting = () => resolve(undefined)
      work.then(resolve, reject)
    }).finally(() => {
      this.#stopWaiting = undefined
    })
  }
}
