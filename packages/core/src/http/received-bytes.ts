/**
 * The bytes of a body as they arrive, and the note a failed read leaves on its error so that
 * `onRejected` can still hand the user what had arrived (ISC never redelivers).
 */

/** A chunk as bytes: a Buffer as it is, other bytes without a copy, text as UTF-8. */
function asBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8')
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
}

/** Chunks of one body, kept as references (no copies) and joined once at the end. */
export class ReceivedChunks {
  readonly #chunks: Buffer[] = []
  #bytes = 0

  /** Keeps a chunk (text is taken as UTF-8); returns the bytes received so far. */
  add(chunk: Uint8Array | string): number {
    const buffer = asBuffer(chunk)
    this.#chunks.push(buffer)
    this.#bytes += buffer.byteLength
    return this.#bytes
  }

  /** The whole body: the chunk itself when there was only one, else one copy. */
  whole(): Buffer {
    return this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#bytes)
  }

  /** What arrived, cut at `limit` bytes (a 413's last chunk passes it). A copy: only failures ask. */
  upTo(limit: number): Buffer {
    return Buffer.concat(this.#chunks, Math.min(this.#bytes, limit))
  }
}

/** What had arrived of a body whose reading failed (413, 408, 400), kept for `onRejected`. */
const received = new WeakMap<object, Uint8Array | string>()

/**
 * Remembers the bytes of a body that arrived before `error` stopped its reading (at most the limit:
 * a 413's overflowing chunk is cut at it). Only failures pay for this; the first note wins.
 *
 * @example
 * throw keepReceived(new TriggerError('INCOMPLETE_BODY', 'cut short'), Buffer.from('{"a":'))
 */
export function keepReceived(error: unknown, bytes: Uint8Array | string): unknown {
  if (typeof error === 'object' && error !== null && !received.has(error)) received.set(error, bytes)
  return error
}

/**
 * The bytes that arrived before `error` stopped the reading of a body, if any were noted.
 *
 * @example
 * const partial = receivedBefore(error) ?? new Uint8Array(0)
 */
export function receivedBefore(error: unknown): Uint8Array | string | undefined {
  return typeof error === 'object' && error !== null ? received.get(error) : undefined
}
