import { isTriggerError } from '../errors.js'
import { consumed, incomplete, timedOut } from './body-read-errors.js'
import type { ReadLimits } from './body-stream.js'
import { tooLarge } from './json-body.js'
import { keepReceived, ReceivedChunks } from './received-bytes.js'

/**
 * Reads a Web `ReadableStream` (a Fetch `Request`'s body) with the platform's reader. The deadline
 * and the limit cancel the stream, which also ends a read in progress, so no chunk waits on a race
 * with a timer.
 */
export async function readWebStream(
  stream: ReadableStream<Uint8Array>,
  { limit, deadlines }: ReadLimits,
): Promise<Buffer> {
  if (stream.locked) throw consumed()
  const reader = stream.getReader()
  const received = new ReceivedChunks()
  let expired = false
  const stop = () => {
    reader.cancel().catch(() => {})
  }
  const deadline = deadlines.start(() => {
    expired = true
    stop()
  })
  try {
    for (;;) {
      const step = await reader.read()
      if (expired) throw timedOut(deadlines.ms)
      if (step.done) return received.whole()
      if (received.add(step.value) > limit) {
        stop()
        throw tooLarge(limit)
      }
    }
  } catch (error) {
    throw keepReceived(isTriggerError(error) ? error : incomplete(error), received.upTo(limit))
  } finally {
    deadlines.cancel(deadline)
  }
}
