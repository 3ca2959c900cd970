/**
 * Request headers as the receiver sees them: lower-case names, one string per name.
 * A Node `IncomingMessage['headers']` already has this shape.
 *
 * @example
 * const headers: TriggerHeaders = { authorization: 'Bearer s3cret', 'content-type': 'application/json' }
 */
export type TriggerHeaders = Readonly<Record<string, string | undefined>>

/** Headers as callers may hold them: a plain record (any case, arrays allowed) or a Fetch `Headers`. */
export type HeadersInput = Headers | Readonly<Record<string, string | readonly string[] | undefined>>

function isNormalised(headers: Readonly<Record<string, unknown>>): headers is TriggerHeaders {
  for (const name in headers) {
    const value = headers[name]
    if ((value !== undefined && typeof value !== 'string') || name !== name.toLowerCase()) return false
  }
  return true
}

/**
 * Lower-cases names and joins repeated values with `, ` (RFC 9110 §5.3); returns the same
 * object when it is already in that shape, which a Node request's headers are.
 *
 * @example
 * normaliseHeaders({ Authorization: 'Bearer x' }) // { authorization: 'Bearer x' }
 */
export function normaliseHeaders(headers: HeadersInput | undefined): TriggerHeaders {
  if (!headers) return {}
  if (typeof Headers !== 'undefined' && headers instanceof Headers) {
    const out: Record<string, string> = {}
    headers.forEach((value, name) => {
      out[name] = value
    })
    return out
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>
  if (isNormalised(record)) return record
  const out: Record<string, string> = {}
  for (const name in record) {
    const value: unknown = record[name]
    // Only strings and arrays are header values; anything else (a null from a hand-built event
    // object) is no header, never a crash before the credentials are checked.
    if (typeof value !== 'string' && !Array.isArray(value)) continue
    const key = name.toLowerCase()
    const joined = typeof value === 'string' ? value : value.map(String).join(', ')
    out[key] = out[key] === undefined ? joined : `${out[key]}, ${joined}`
  }
  return out
}
