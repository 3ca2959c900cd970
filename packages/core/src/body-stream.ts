import type { Readable } from 'node:stream'
import { tooLarge } from './body.js'
import { TriggerError } from './errors.js'

/** A body that has not been read yet: a Node stream, a Web `ReadableStream`, or any async iterable of bytes. */
export type BodyStream = Readable | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>

/** Limits applied while a body streams in. */
export interface ReadLimits {
  /** Most bytes accepted; reading stops as soon as it is passed. */
  limit: number
  /** Longest wait for the whole body, in milliseconds. */
  timeoutMs: number
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

/**
 * Reads a Node stream with 'data' events (the fastest way in Node), stopping at the limit
 * instead of buffering first, and at the time limit.
 */
function readNodeStream(stream: Readable, { limit, timeoutMs }: ReadLimits): Promise<Buffer> {
  if (stream.readableEnded)
    return Promise.reject(
      new TriggerError(
        'BODY_CONSUMED',
        'The request body was read before the receiver saw it and no parsed or raw body was kept: ' +
          'mount the receiver before body parsers, or keep the raw body',
      ),
    )
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    let timer: NodeJS.Timeout | undefined
    const finish = (error: TriggerError | undefined) => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('close', onClose)
      if (timer) clearTimeout(timer)
      if (error) {
        // Stop pulling data; Node's HTTP server discards what is left once the reply is sent.
        stream.pause()
        reject(error)
      } else resolve(concat(chunks, total))
    }
    const onData = (chunk: Buffer | string) => {
      const buffer = toBuffer(chunk)
      total += buffer.byteLength
      if (total > limit) finish(tooLarge(limit))
      else chunks.push(buffer)
    }
    const onEnd = () => finish(undefined)
    const onError = () => finish(incomplete())
    const onClose = () => finish(incomplete())
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onClose)
    if (!stream.readableEnded) timer = setTimeout(() => finish(timedOut(timeoutMs)), timeoutMs)
  })
}

async function readIterable(
  body: AsyncIterable<Uint8Array>,
  { limit, timeoutMs }: ReadLimits,
): Promise<Buffer> {
  const iterator = body[Symbol.asyncIterator]()
  const chunks: Buffer[] = []
  let total = 0
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(timeoutMs)), timeoutMs)
  })
  try {
    for (;;) {
      const step = await Promise.race([iterator.next(), deadline])
      if (step.done) return concat(chunks, total)
      const buffer = toBuffer(step.value)
      total += buffer.byteLength
      if (total > limit) throw tooLarge(limit)
      chunks.push(buffer)
    }
  } catch (error) {
    await iterator.return?.().catch(() => {})
    if (error instanceof TriggerError) throw error
    throw incomplete()
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Reads a body stream into one buffer within the size and time limits.
 *
 * @example
 * const bytes = await readBodyStream(req, { limit: 1_048_576, timeoutMs: 10_000 })
 */
export function readBodyStream(body: BodyStream, limits: ReadLimits): Promise<Buffer> {
  if (typeof (body as Readable).on === 'function' && typeof (body as Readable).resume === 'function')
    return readNodeStream(body as Readable, limits)
  return readIterable(body as AsyncIterable<Uint8Array>, limits)
}
