import type { IncomingMessage, ServerResponse } from 'node:http'

/** The largest body the fake reads from a token request (bytes). */
export const TOKEN_BODY_LIMIT = 64 * 1024
/** The largest JSON body the fake reads from an API request (bytes), like the receiver's default. */
export const JSON_BODY_LIMIT = 1024 * 1024

/** What `readBody` found: the bytes, or that there were more than the limit. */
export type ReadBody = { ok: true; bytes: Buffer } | { ok: false; tooLarge: true }

/**
 * Reads a request body, keeping at most `limit` bytes. A longer body is still read to its end
 * (and dropped) so the client gets the 413 instead of a reset connection.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size <= limit) chunks.push(chunk as Buffer)
  }
  return size > limit ? { ok: false, tooLarge: true } : { ok: true, bytes: Buffer.concat(chunks) }
}

/** Parses JSON, or gives back the text itself when it is not JSON. */
export function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** Answers with a JSON body (or none), unless an answer has already started. */
export function send(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) return
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers }).end(text)
}

/** The bearer token of a request, if it has one. */
export function bearerOf(req: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
}

/** ISC's error body for a request over the size limit. */
export const TOO_LARGE = { detailCode: '413 Payload too large', messages: ['request body too large'] }
