import { isTriggerError, TriggerError } from '../errors.js'

/**
 * What the receiver answers: framework-neutral, written back by the Node bridge, the Fetch
 * handler or an adapter without any decision of their own.
 *
 * @example
 * const reply = await receiver.handle({ method: 'POST', headers, body, trigger: 'identity-created' })
 * res.writeHead(reply.status, reply.headers).end(reply.body)
 */
export interface TriggerReply {
  status: number
  headers: Record<string, string>
  body: string
}

const JSON_TYPE = 'application/json; charset=utf-8'
const EMPTY_ACK = '{}'

// An explicit Content-Length spares the client chunked decoding.
function headersFor(body: string, extra?: Record<string, string>): Record<string, string> {
  const headers = { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(body, 'utf8')) }
  return extra ? Object.assign(headers, extra) : headers
}

/** `200 {}`: the acknowledgement of a fire-and-forget delivery. */
export function ackReply(status = 200): TriggerReply {
  return { status, headers: { 'content-type': JSON_TYPE, 'content-length': '2' }, body: EMPTY_ACK }
}

/** A JSON reply whose body is `value` serialised. */
export function jsonReply(status: number, value: unknown): TriggerReply {
  const body = JSON.stringify(value)
  return { status, headers: headersFor(body), body }
}

/**
 * The one place an error becomes a reply: `{ "error": { "code", "message", "issues"? } }`.
 * Anything that is not a {@link TriggerError} is reported as HANDLER_FAILED without its
 * message or stack, since those may carry internals.
 *
 * @example
 * toErrorReply(new TriggerError('UNAUTHORIZED', 'Missing credentials'))
 * // { status: 401, headers: { 'content-type': ..., }, body: '{"error":{"code":"UNAUTHORIZED",...}}' }
 */
export function toErrorReply(error: unknown): TriggerReply {
  const known: TriggerError = isTriggerError(error)
    ? error
    : new TriggerError('HANDLER_FAILED', 'The trigger handler failed', { cause: error })
  const payload: { code: string; message: string; issues?: unknown } = {
    code: known.code,
    message: known.message,
  }
  if (known.issues) payload.issues = known.issues
  const body = JSON.stringify({ error: payload })
  return { status: known.status, headers: headersFor(body, known.headers), body }
}
