import type { Readable } from 'node:stream'
import { consumed, incomplete } from './body-read-errors.js'
import type { DeadlineQueue } from './deadline-queue.js'
import { readAsyncIterable } from './read-async-iterable.js'
import { readNodeBody } from './read-node-body.js'
import { readWebStream } from './read-web-stream.js'

export { keepReceived, receivedBefore } from './received-bytes.js'

/** A body that has not been read yet: a Node stream, a Web `ReadableStream`, or any async iterable of bytes. */
export type BodyStream = Readable | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>

/** Limits applied while a body streams in. */
export interface ReadLimits {
  /** Most bytes accepted; reading stops as soon as it is passed. */
  limit: number
  /** Where the wait for the whole body is timed (one queue per receiver, one length). */
  deadlines: DeadlineQueue
}

/**
 * True for a body that still has to be read.
 *
 * @example
 * if (isBodyStream(request.body)) bytes = await readBodyStream(request.body, limits)
 */
export function isBodyStream(body: unknown): body is BodyStream {
  return (
    typeof body === 'object' &&
    body !== null &&
    (typeof (body as Readable).on === 'function' ||
      typeof (body as ReadableStream).getReader === 'function' ||
      typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function')
  )
}

/**
 * Reads a body stream into one buffer within the size and time limits. A Node byte stream is read
 * with raw-body, which also checks `declaredLength` (the request's `Content-Length`, when it has
 * one): fewer or more bytes than declared is an incomplete body (400). Web streams and async
 * iterables are read with their own readers; `declaredLength` is not used for them.
 *
 * Fails with a {@link TriggerError}: PAYLOAD_TOO_LARGE (413), REQUEST_TIMEOUT (408),
 * INCOMPLETE_BODY (400) or BODY_CONSUMED (500); {@link receivedBefore} gives what had arrived.
 *
 * @example
 * const limits = { limit: 1_048_576, deadlines: new DeadlineQueue(10_000) }
 * const bytes = await readBodyStream(req, limits, req.headers['content-length'])
 */
export function readBodyStream(
  body: BodyStream,
  limits: ReadLimits,
  declaredLength?: string,
): Promise<Buffer> {
  if (typeof (body as Readable).on === 'function' && typeof (body as Readable).resume === 'function') {
    const stream = body as Readable
    if (stream.readableEnded) return Promise.reject(consumed())
    // Destroyed before we start (the client left while the delivery was authenticated): raw-body
    // would call it "not readable", which is our BODY_CONSUMED (500); it is an incomplete body.
    if (stream.destroyed) return Promise.reject(incomplete())
    // raw-body takes bytes only; a stream that yields text is read chunk by chunk, without being
    // destroyed when the read fails (a request must still be answered).
    if (stream.readableObjectMode === true || (stream.readableEncoding ?? null) !== null)
      return readAsyncIterable(stream.iterator({ destroyOnReturn: false }), limits)
    return readNodeBody(stream, limits, declaredLength)
  }
  if (typeof (body as ReadableStream).getReader === 'function')
    return readWebStream(body as ReadableStream<Uint8Array>, limits)
  return readAsyncIterable(body as AsyncIterable<Uint8Array>, limits)
}
