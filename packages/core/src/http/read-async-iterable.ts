import { isTriggerError, type TriggerError } from '../errors.js'
import { incomplete, timedOut } from './body-read-errors.js'
import type { ReadLimits } from './body-stream.js'
import { tooLarge } from './json-body.js'
import { keepReceived, ReceivedChunks } from './received-bytes.js'

/**
 * Reads any async iterable of bytes (or text, taken as UTF-8) within the limit and the deadline.
 * It also reads Node streams that yield text (object mode, or `setEncoding()` was called), which
 * raw-body refuses.
 */
export async function readAsyncIterable(
  body: AsyncIterable<Uint8Array | string>,
  { limit, deadlines }: ReadLimits,
): Promise<Buffer> {
  const iterator = body[Symbol.asyncIterator]()
  const received = new ReceivedChunks()
  let expire: (error: TriggerError) => void = () => {}
  const late = new Promise<never>((_, reject) => {
    expire = reject
  })
  const deadline = deadlines.start(() => expire(timedOut(deadlines.ms)))
  try {
    for (;;) {
      const step = await Promise.race([iterator.next(), late])
      if (step.done) return received.whole()
      if (received.add(step.value) > limit) throw tooLarge(limit)
    }
  } catch (error) {
    // Not awaited: an async generator asked to return while it waits for a chunk that never comes
    // answers only once that chunk comes, so awaiting it would outlive the deadline.
    try {
      Promise.resolve(iterator.return?.()).catch(() => {})
    } catch {
      // an iterator whose return() throws has nothing left for us to stop
    }
    throw keepReceived(isTriggerError(error) ? error : incomplete(error), received.upTo(limit))
  } finally {
    deadlines.cancel(deadline)
  }
}
