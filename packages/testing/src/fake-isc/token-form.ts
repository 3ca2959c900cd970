import type { IncomingMessage } from 'node:http'
import { readBody, TOKEN_BODY_LIMIT } from './http.js'

/** The fields of a token request, or the error reply to give instead. */
export type TokenForm =
  | { ok: true; form: Record<string, string> }
  | { ok: false; status: number; body: { error: string; error_description: string } }

function invalid(status: number, description: string): TokenForm {
  return { ok: false, status, body: { error: 'invalid_request', error_description: description } }
}

/**
 * Reads the form of a `POST /oauth/token`: `application/x-www-form-urlencoded` (what RFC 6749
 * asks, and the default when no content type is given) or `multipart/form-data` (what
 * SailPoint's SDK sends), at most `TOKEN_BODY_LIMIT` bytes. Multipart is parsed by the Web
 * `Request#formData()` built into Node; file parts are ignored.
 */
export async function readTokenForm(req: IncomingMessage): Promise<TokenForm> {
  const read = await readBody(req, TOKEN_BODY_LIMIT)
  if (!read.ok) return invalid(413, `request body over ${TOKEN_BODY_LIMIT} bytes`)
  const contentType = req.headers['content-type'] ?? ''
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase()
  if (mediaType === '' || mediaType === 'application/x-www-form-urlencoded')
    return { ok: true, form: Object.fromEntries(new URLSearchParams(read.bytes.toString('utf8'))) }
  if (mediaType !== 'multipart/form-data')
    return invalid(400, 'expected application/x-www-form-urlencoded or multipart/form-data')
  let data: FormData
  try {
    data = await new Request('http://fake-isc.invalid/oauth/token', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(read.bytes),
    }).formData()
  } catch {
    return invalid(400, 'malformed multipart/form-data body')
  }
  const form: Record<string, string> = {}
  data.forEach((value, name) => {
    if (typeof value === 'string') form[name] = value
  })
  return { ok: true, form }
}
