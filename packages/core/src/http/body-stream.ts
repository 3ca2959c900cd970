import type { Readable } from 'node:stream'
import { TriggerError } from '../errors.js'
import type { DeadlineQueue } from './deadline-queue.js'
import { tooLarge } from './json-body.js'

/** A body that has not been read yet: a Node stream, a Web `ReadableStream`, or any async iterable of bytes. */
export type BodyStream = Readable | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>

/** Limits applied while a body streams in. */
export interface ReadLimits {
  /** Most bytes accepted; reading stops as soon as it is passed. */
  limit: number
  /** Where the wait for the whole body is timed (one queue per receiver, one length). */
  deadlines: DeadlineQueue
}

export function isBodyStream(body: unknown): body is BodyStream {
  return (
    typeof body === 'object' &&
    body !== null &&
    (typeof (body as Readable).on === 'function' ||
      typeof (body as ReadableStream).getReader === 'function' ||
      typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function')
  )
}

const timedOut = (ms: number) =>
  new TriggerError('REQUEST_TIMEOUT', `The body did not arrive within ${ms} ms`)
const incomplete = () => new TriggerError('INCOMPLETE_BODY', 'The request body ended before it was complete')

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8')
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
}

function concat(chunks: Buffer[], total: number): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)
}

/** What had arrived of a body whose reading failed (413, 408, 400), kept for `onRejected`. */
const received = new WeakMap<object, Uint8Array | string>()

/**
 * Remembers the bytes of a body that arrived before `error` stopped its reading (at most the limit:
 * a 413's overflowing chunk is cut at it). Only failures pay for this; the first note wins.
 */
export function keepReceived(error: unknown, bytes: Uint8Array | string): unknown {
  if (typeof error === 'object' && error !== null && !received.has(error)) received.set(error, bytes)
  return error
}

/** The bytes that arrived before `error` stopped the reading of a body, if any were noted. */
export function receivedBefore(error: unknown): Uint8Array | string | undefined {
  return typeof error === 'object' && error !== null ? received.get(error) : undefined
}

/** The chunks read so far, cut at `limit` bytes (a copy, made only when a read fails). */
function readSoFar(chunks: Buffer[], overflow: Buffer | undefined, limit: number): Buffer {
  if (overflow === undefined) return Buffer.concat(chunks)
  let kept = 0
  for (const chunk of chunks) kept += chunk.byteLength
  return Buffer.concat([...chunks, overflow.subarray(0, Math.max(0, limit - kept))])
}

const consumed = () =>
  new TriggerError(
    'BODY_CONSUMED',
    'The request body was read before the receiver saw it and no parsed or raw body was kept: ' +
      'mount the receiver before body parsers, or keep the raw body',
  )

/**
 * Reads a Node stream with 'data' events (the fastest way in Node), stopping at the limit
 * instead of buffering first, and at the deadline. Listeners are not removed after a success:
 * the stream has ended, and a request is read once.
 */
function readNodeStream(stream: Readable, { limit, deadlines }: ReadLimits): Promise<Buffer> {
  if (stream.readableEnded) return Promise.reject(consumed())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    let settled = false
    // Errors are made only when they happen: a TriggerError captures a stack trace.
    const fail = (error: () => TriggerError, overflow?: Buffer) => {
      if (settled) return
      settled = true
      deadlines.cancel(deadline)
      // Stop pulling data; Node's HTTP server discards what is left once the reply is sent.
      stream.off('data', onData)
      stream.pause()
      reject(keepReceived(error(), readSoFar(chunks, overflow, limit)))
    }
    const onData = (chunk: Buffer | string) => {
      const buffer = toBuffer(chunk)
      total += buffer.byteLength
      if (total > limit) fail(() => tooLarge(limit), buffer)
      else chunks.push(buffer)
    }
    const onEnd = () => {
      if (settled) return
      settled = true
      deadlines.cancel(deadline)
      resolve(concat(chunks, total))
    }
    const deadline = deadlines.start(() => fail(() => timedOut(deadlines.ms)))
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', () => fail(incomplete))
    stream.on('close', () => fail(incomplete))
  })
}

async function readIterable(
  body: AsyncIterable<Uint8Array>,
  { limit, deadlines }: ReadLimits,
): Promise<Buffer> {
  const iterator = body[Symbol.asyncIterator]()
  const chunks: Buffer[] = []
  let total = 0
  let expire: (error: TriggerError) => void = () => {}
  const late = new Promise<never>((_, reject) => {
    expire = reject
  })
  const deadline = deadlines.start(() => expire(timedOut(deadlines.ms)))
  let overflow: Buffer | undefined
  try {
    for (;;) {
      const step = await Promise.race([iterator.next(), late])
      if (step.done) return concat(chunks, total)
      const buffer = toBuffer(step.value)
      total += buffer.byteLength
      if (total > limit) {
        overflow = buffer
        throw tooLarge(limit)
      }
      chunks.push(buffer)
    }
  } catch (error) {
    await iterator.return?.().catch(() => {})
    throw keepReceived(
      error instanceof TriggerError ? error : incomplete(),
      readSoFar(chunks, overflow, limit),
    )
  } finally {
    deadlines.cancel(deadline)
  }
}

/**
 * Reads a Web `ReadableStream` with its reader: the deadline and the limit cancel the stream,
 * which also ends a read in progress, so no chunk waits on a race with a timer.
 */
async function readWebStream(
  stream: ReadableStream<Uint8Array>,
  { limit, deadlines }: ReadLimits,
): Promise<Buffer> {
  if (stream.locked) throw consumed()
  const reader = stream.getReader()
  const chunks: Buffer[] = []
  let total = 0
  let expired = false
  const stop = () => {
    reader.cancel().catch(() => {})
  }
  const deadline = deadlines.start(() => {
    expired = true
    stop()
  })
  let overflow: Buffer | undefined
  try {
    for (;;) {
      const step = await reader.read()
      if (expired) throw timedOut(deadlines.ms)
      if (step.done) return concat(chunks, total)
      const buffer = toBuffer(step.value)
      total += buffer.byteLength
      if (total > limit) {
        stop()
        overflow = buffer
        throw tooLarge(limit)
      }
      chunks.push(buffer)
    }
  } catch (error) {
    throw keepReceived(
      error instanceof TriggerError ? error : incomplete(),
      readSoFar(chunks, overflow, limit),
    )
  } finally {
    deadlines.cancel(deadline)
  }
}

/**
 * Reads a body stream into one buffer within the size and time limits.
 *
 * @example
 * const bytes = await readBodyStream(req, { limit: 1_048_576, deadlines: new DeadlineQueue(10_000) })
 */
export function readBodyStream(body: BodyStream, limits: ReadLimits): Promise<Buffer> {
  if (typeof (body as Readable).on === 'function' && typeof (body as Readable).resume === 'function')
    return readNodeStream(body as Readable, limits)
  if (typeof (body as ReadableStream).getReader === 'function')
    return readWebStream(body as ReadableStream<Uint8Array>, limits)
  return readIterable(body as AsyncIterable<Uint8Array>, limits)
}
