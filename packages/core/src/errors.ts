/**
 * Every error the receiver answers with has one of these codes. The set is closed: a client
 * (or a test) can branch on `error.code` without parsing messages.
 */
export type TriggerErrorCode =
  | 'UNAUTHORIZED'
  | 'METHOD_NOT_ALLOWED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'INCOMPLETE_BODY'
  | 'INVALID_JSON'
  | 'INVALID_PAYLOAD'
  | 'INVALID_CALLBACK'
  | 'UNKNOWN_TRIGGER'
  | 'DUPLICATE_DELIVERY'
  | 'HANDLER_FAILED'
  | 'INVALID_OUTPUT'
  | 'BODY_CONSUMED'
  | 'RESPONSE_TIMEOUT'
  | 'SHUTTING_DOWN'
  | 'QUEUE_UNAVAILABLE'

/**
 * The one code → HTTP status table. Nothing else in the project decides an error status.
 *
 * @example
 * TRIGGER_ERROR_STATUS.UNAUTHORIZED // 401
 */
export const TRIGGER_ERROR_STATUS: Readonly<Record<TriggerErrorCode, number>> = Object.freeze({
  UNAUTHORIZED: 401,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  REQUEST_TIMEOUT: 408,
  INCOMPLETE_BODY: 400,
  INVALID_JSON: 400,
  INVALID_PAYLOAD: 400,
  INVALID_CALLBACK: 400,
  UNKNOWN_TRIGGER: 404,
  DUPLICATE_DELIVERY: 409,
  HANDLER_FAILED: 500,
  INVALID_OUTPUT: 500,
  BODY_CONSUMED: 500,
  RESPONSE_TIMEOUT: 504,
  SHUTTING_DOWN: 503,
  QUEUE_UNAVAILABLE: 503,
})

/** One problem found while validating a payload: where, and what kind. Never the value. */
export interface TriggerIssue {
  /** Dotted path into the payload, e.g. `identity.id` or `requestedItems.0.type`; `''` for the root. */
  path: string
  /** zod's issue code, e.g. `invalid_type`. */
  code: string
  /** A message that names what was expected, never what was received. */
  message: string
}

/** Options of {@link TriggerError}. */
export interface TriggerErrorOptions {
  /** The underlying error; kept for logs, never sent to the client. */
  cause?: unknown
  /** Validation issues (paths and kinds, never values); these are sent to the client. */
  issues?: TriggerIssue[]
  /** Extra response headers, e.g. `WWW-Authenticate` on a 401. */
  headers?: Record<string, string>
}

/**
 * The single error type of isc-triggers. Its `code` decides the HTTP status (see
 * {@link TRIGGER_ERROR_STATUS}); its message is safe to send to the client.
 *
 * @example
 * throw new TriggerError('INVALID_PAYLOAD', 'The payload does not match idn:identity-created', {
 *   issues: [{ path: 'identity.id', code: 'invalid_type', message: 'expected string' }],
 * })
 */
export class TriggerError extends Error {
  // A string literal, not this.constructor.name: minifiers rename classes.
  override readonly name = 'TriggerError'
  readonly code: TriggerErrorCode
  readonly status: number
  readonly issues: TriggerIssue[] | undefined
  readonly headers: Record<string, string> | undefined

  constructor(code: TriggerErrorCode, message: string, options: TriggerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = TRIGGER_ERROR_STATUS[code]
    this.issues = options.issues
    this.headers = options.headers
  }
}

/**
 * True for a {@link TriggerError}, also when it comes from another copy of this package
 * (an app that loads both the ESM and the CJS build), where `instanceof` would say no.
 *
 * @example
 * try { await receiver.handle(request) } catch (e) { if (isTriggerError(e)) console.log(e.code) }
 */
export function isTriggerError(value: unknown): value is TriggerError {
  if (value instanceof TriggerError) return true
  if (!(value instanceof Error) || value.name !== 'TriggerError') return false
  const code: unknown = (value as { code?: unknown }).code
  return typeof code === 'string' && Object.hasOwn(TRIGGER_ERROR_STATUS, code)
}

/**
 * Thrown at construction time when options are wrong (no `auth`, an empty token, ...), so a
 * misconfigured service fails at start-up rather than on the first delivery.
 *
 * @example
 * createTriggerReceiver({} as never) // throws TriggerConfigError: `auth` is required ...
 */
export class TriggerConfigError extends Error {
  override readonly name = 'TriggerConfigError'
}

/**
 * What an error says, for a log line, and no more: a Redis client's errors carry the command's arguments,
 * and those hold the delivery (payload values, the invocation secret) that logs must never show.
 *
 * @example
 * errorSummary(new Error('OOM command not allowed')) // { name: 'Error', message: 'OOM command not allowed' }
 */
export function errorSummary(error: unknown): Record<string, unknown> {
  try {
    if (!(error instanceof Error)) return { message: typeof error === 'string' ? error : 'unknown error' }
    const code = (error as { code?: unknown }).code
    return {
      name: String(error.name),
      message: String(error.message),
      ...(typeof code === 'string' ? { code } : {}),
    }
  } catch {
    return { message: 'an error that could not be read' } // a Proxy whose traps throw, say: never throws
  }
}
