import { TriggerError } from '../errors.js'

/**
 * Accepts `application/json` with any parameters, and no Content-Type at all (ISC's header is
 * not documented, and a fire-and-forget event is never redelivered, so refusing it would lose the
 * event; the body must still be valid JSON). Anything else is 415, as is a charset other than UTF-8.
 */
export function assertJsonContentType(contentType: string | undefined): void {
  if (contentType === undefined || contentType === '') return
  const semicolon = contentType.indexOf(';')
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
  if (mediaType !== 'application/json')
    throw new TriggerError('UNSUPPORTED_MEDIA_TYPE', 'The body must be JSON (Content-Type: application/json)')
  if (semicolon !== -1) {
    const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType.slice(semicolon))?.[1]?.toLowerCase()
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
      throw new TriggerError('UNSUPPORTED_MEDIA_TYPE', 'The body must be UTF-8 encoded JSON')
  }
}

/**
 * Compressed bodies are refused (415), not inflated: ISC sends plain JSON, and inflating would let a
 * small request expand past every limit (a zip bomb). `identity` (or no header) is accepted.
 */
export function assertIdentityEncoding(contentEncoding: string | undefined): void {
  if (contentEncoding === undefined || contentEncoding === '') return
  const encoding = contentEncoding.trim().toLowerCase()
  if (encoding === 'identity') return
  const named = /^[a-z0-9-]{1,20}$/.test(encoding) ? ` (${encoding})` : ''
  throw new TriggerError(
    'UNSUPPORTED_MEDIA_TYPE',
    `Compressed bodies${named} are not accepted: send the JSON uncompressed`,
  )
}
