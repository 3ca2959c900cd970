import type { IncomingMessage } from 'node:http'
import type { StoredSubscription } from './subscription-input.js'

/**
 * One completion attempt the fake ISC received, whatever it answered.
 *
 * @example
 * const [first] = isc.attempts // { invocationId: 'inv-1', status: 204, body: { secret, output }, ... }
 */
export interface ReceivedAttempt {
  invocationId: string
  /**
   * The parsed JSON body (`{ secret, output }` or `{ secret, error }`), the raw text if not JSON,
   * or `undefined` when the body was over the fake's size limit (answered 413).
   */
  body: unknown
  headers: IncomingMessage['headers']
  /** What the fake answered. */
  status: number
  /** Milliseconds since the fake started. */
  at: number
}

/**
 * A failure to answer instead of the normal behaviour, once per programmed entry.
 *
 * @example
 * const failure: ProgrammedFailure = { status: 429, headers: { 'retry-after': '1' } }
 */
export interface ProgrammedFailure {
  status: number
  headers?: Record<string, string>
}

/**
 * Options of `startFakeIsc()`.
 *
 * @example
 * const options: FakeIscOptions = { clientId: 'id', clientSecret: 'secret', tokenLifetimeSeconds: 60 }
 */
export interface FakeIscOptions {
  /** OAuth client credentials the token endpoint accepts; with them, the API needs its bearer token. */
  clientId?: string
  clientSecret?: string
  /** `expires_in` of issued tokens, in seconds; default 3600. */
  tokenLifetimeSeconds?: number
  /** The port to listen on (127.0.0.1); default an ephemeral one. */
  port?: number
}

/**
 * A stand-in for ISC's side of request-response triggers, on loopback: the OAuth token endpoint,
 * the trigger-invocation API (complete, test, status) with programmable failures, and the
 * trigger-subscription API (subscriptions, validate-filter, the trigger list).
 *
 * @example
 * const isc: FakeIsc = await startFakeIsc()
 * const url = isc.callbackURL('inv-1') // http://127.0.0.1:<port>/beta/trigger-invocations/inv-1/complete
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
  /** Token requests received (form fields, urlencoded or multipart alike). */
  readonly tokenRequests: Record<string, string>[]
  /** Test invocations requested through `POST .../trigger-invocations/test` (their JSON bodies). */
  readonly testInvocations: unknown[]
  /**
   * The trigger subscriptions the fake holds, oldest first, secrets included (a fresh copy on each
   * read): what `POST/PUT/PATCH .../trigger-subscriptions` left.
   */
  readonly subscriptions: StoredSubscription[]
  /** The next `count` completion attempts answer `status` (with `headers`, e.g. `Retry-After`). */
  failNext(count: number, status: number, headers?: Record<string, string>): void
  /** Marks an invocation finished: completing it answers 400, as ISC does. */
  finish(invocationId: string): void
  /** Invalidates issued tokens: API calls with them answer 401 until a new token is fetched. */
  revokeTokens(): void
  /** Resolves with the first accepted completion of `invocationId` (rejects after `timeoutMs`). */
  waitForCompletion(invocationId: string, timeoutMs?: number): Promise<ReceivedAttempt>
  close(): Promise<void>
}
