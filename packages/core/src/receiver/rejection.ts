import { isTriggerError, type TriggerError, type TriggerErrorCode, type TriggerIssue } from '../errors.js'
import {
  type BodyStream,
  isBodyStream,
  type ReadLimits,
  readBodyStream,
  receivedBefore,
} from '../http/body-stream.js'
import { type TriggerReply, toErrorReply } from '../http/reply.js'
import { TRIGGER_ID_PATTERN } from '../schemas/define-trigger.js'
import type { TriggerLogger } from '../types.js'

/**
 * An authenticated delivery the receiver refused, as `onRejected` receives it before the error
 * reply goes out. ISC never redelivers: this is the last chance to keep the event.
 *
 * - `trigger`: the trigger as the delivery named it (the URL segment, else `_metadata.triggerId`),
 *   full id or name, unchecked; `undefined` when none was named or the body was not read that far.
 * - `status`, `code`, `issues`: exactly what the reply says (`issues` is `[]` when it has none).
 * - `body`: the raw body as received. Bytes or a string as the request carried them; an unread
 *   stream is read for the hook (within `bodyLimit` and `bodyTimeoutMs`, compressed bytes as they
 *   came, never inflated); an object a body parser made (`express.json()`) as `JSON.stringify` of
 *   it. A body in memory is given whole; a stream is never read past `bodyLimit`, so a 413 on a
 *   stream gives its first `bodyLimit` bytes, and a 413 decided from `Content-Length` alone gives
 *   an empty body. A 408 or an incomplete body gives what had arrived.
 * - `receivedAt`: when the receiver began handling the delivery.
 *
 * @example
 * const rejection: TriggerRejection = {
 *   trigger: 'identity-created', status: 400, code: 'INVALID_PAYLOAD',
 *   issues: [{ path: 'identity.id', code: 'invalid_type', message: 'Invalid input: expected string' }],
 *   body: Buffer.from('{"identity":{"id":1}}'), receivedAt: new Date(),
 * }
 */
export interface TriggerRejection {
  trigger: string | undefined
  status: number
  code: TriggerErrorCode
  issues: TriggerIssue[]
  body: Uint8Array | string
  receivedAt: Date
}

/** How long the reply waits for a promise returned by `onRejected`. */
export const REJECTION_HOOK_BUDGET_MS = 5_000

/**
 * The refusals `onRejected` sees: every one of an authenticated delivery whose handler never got
 * it. 401, 405 and 409 (a duplicate) never reach it, nor a 5xx from a handler that ran.
 */
const REFUSALS: ReadonlySet<TriggerErrorCode> = new Set<TriggerErrorCode>([
  'SHUTTING_DOWN',
  'QUEUE_UNAVAILABLE',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'INCOMPLETE_BODY',
  'INVALID_JSON',
  'INVALID_PAYLOAD',
  'INVALID_CALLBACK',
  'UNKNOWN_TRIGGER',
])

/** A refused delivery as noted where it was refused; `raw` is the body in whatever state it was. */
interface Refusal {
  raw: unknown
  trigger: string | undefined
  receivedAt: Date
}

/** Refusals by their error. Only code that runs after authentication notes one. */
const refusals = new WeakMap<TriggerError, Refusal>()

/**
 * Notes that `error` refused an authenticated delivery whose body is `raw`, when it is one of the
 * refusals above (a 503 for a delivery the queue could not store is one); the first note wins. Called only on the error path. Returns `error` to rethrow.
 */
export function noteRefusal(
  error: unknown,
  raw: unknown,
  trigger: string | undefined,
  receivedAt: Date,
): unknown {
  if (isTriggerError(error) && REFUSALS.has(error.code) && !refusals.has(error))
    refusals.set(error, { raw, trigger, receivedAt })
  return error
}

/** What the refusal step needs from the receiver. */
export interface RefusalEnv {
  onRejected: ((rejection: TriggerRejection) => unknown) | undefined
  logger: TriggerLogger
  /** The receiver's limits, for a body stream still unread at the refusal. */
  limits: ReadLimits
}

const EMPTY = new Uint8Array(0)

/** The trigger as logs may show it: a name that is not one is not echoed. */
function loggable(trigger: string | undefined): string | undefined {
  return trigger === undefined || TRIGGER_ID_PATTERN.test(trigger) ? trigger : '(not a trigger name)'
}

/** Logs without letting a failing logger take the reply with it. */
function log(logger: TriggerLogger, level: 'warn' | 'error', message: string, details: object): void {
  try {
    logger[level](message, details as Record<string, unknown>)
  } catch {
    // The reply matters more than the log line.
  }
}

/**
 * The reply to an error. An authenticated refusal is first handed to `onRejected` (the reply waits
 * for its promise, at most {@link REJECTION_HOOK_BUDGET_MS}), or reported with `logger.warn`
 * without the hook. The reply is made before the hook runs, so the hook cannot change it. Never
 * throws and never rejects.
 */
export function replyToError(error: unknown, env: RefusalEnv): TriggerReply | Promise<TriggerReply> {
  const reply = toErrorReply(error)
  const refusal = isTriggerError(error) ? refusals.get(error) : undefined
  if (refusal === undefined) return reply
  const refused = error as TriggerError
  if (env.onRejected === undefined) {
    log(env.logger, 'warn', `Refused a delivery: ${refused.status} ${refused.code}`, {
      trigger: loggable(refusal.trigger),
      status: refused.status,
      code: refused.code,
      issues: (refused.issues ?? []).map(({ path, code }) => ({ path, code })),
    })
    return reply
  }
  const hook = env.onRejected
  const raw = refusal.raw
  const hand = (body: Uint8Array | string) =>
    callHook(
      hook,
      {
        trigger: refusal.trigger,
        status: refused.status,
        code: refused.code,
        issues: refused.issues ?? [],
        body,
        receivedAt: refusal.receivedAt,
      },
      env.logger,
    )
  const waiting = isBodyStream(raw)
    ? readForHook(raw, refused, env.limits).then(hand)
    : hand(bufferedBody(raw, refused))
  return waiting === undefined ? reply : waiting.then(() => reply)
}

/** A body already in memory, as the hook gets it. */
function bufferedBody(raw: unknown, error: TriggerError): Uint8Array | string {
  if (typeof raw === 'string' || raw instanceof Uint8Array) return raw
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw)
  if (raw === undefined || raw === null) return receivedBefore(error) ?? ''
  try {
    return JSON.stringify(raw) ?? ''
  } catch {
    return ''
  }
}

/**
 * A stream refused before it was read (415, 404, or a read that failed): what it holds, within
 * the receiver's limits. A 413 from `Content-Length` is not read; a failed read gives what arrived.
 */
function readForHook(
  stream: BodyStream,
  error: TriggerError,
  limits: ReadLimits,
): Promise<Uint8Array | string> {
  const partial = receivedBefore(error)
  if (partial !== undefined) return Promise.resolve(partial)
  if (error.code === 'PAYLOAD_TOO_LARGE') return Promise.resolve(EMPTY)
  return readBodyStream(stream, limits).then(
    (bytes) => bytes,
    (failure: unknown) => receivedBefore(failure) ?? EMPTY,
  )
}

/** Runs the hook; returns a promise only when the hook returned one (bounded by the budget). */
function callHook(
  hook: (rejection: TriggerRejection) => unknown,
  rejection: TriggerRejection,
  logger: TriggerLogger,
): Promise<void> | undefined {
  const failed = (error: unknown) => {
    const { name, message } = error instanceof Error ? error : { name: typeof error, message: '' }
    log(logger, 'error', `onRejected failed on a ${rejection.status} ${rejection.code} delivery`, {
      trigger: loggable(rejection.trigger),
      status: rejection.status,
      code: rejection.code,
      error: { name, message },
    })
  }
  let returned: unknown
  try {
    returned = hook(rejection)
  } catch (error) {
    failed(error)
    return undefined
  }
  if (typeof (returned as PromiseLike<unknown> | null)?.then !== 'function') return undefined
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      log(
        logger,
        'warn',
        `onRejected did not settle within ${REJECTION_HOOK_BUDGET_MS} ms; the ${rejection.status} reply was sent`,
        { trigger: loggable(rejection.trigger), status: rejection.status, code: rejection.code },
      )
      resolve()
    }, REJECTION_HOOK_BUDGET_MS)
    Promise.resolve(returned as PromiseLike<unknown>).then(
      () => {
        clearTimeout(timer)
        resolve()
      },
      (error: unknown) => {
        clearTimeout(timer)
        failed(error)
        resolve()
      },
    )
  })
}
