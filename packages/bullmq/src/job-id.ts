import { createHash, randomUUID } from 'node:crypto'
import type { QueuedDelivery } from '@isc-triggers/core'

/** Longer keys are hashed: a job id is a Redis key part and shows in every dashboard. */
const LONGEST_KEY = 200

/**
 * The BullMQ job id of a delivery: `isc-` and its key (the invocation id or the dedupe key), so a
 * delivery that arrives twice is stored once. BullMQ ids cannot contain `:` (and trigger ids
 * do), so `%` and `:` are percent-encoded; the `isc-` prefix keeps an id from being all digits
 * (BullMQ's own ids). A delivery without a key gets a random id.
 *
 * @example
 * jobIdFor({ key: 'idn:identity-created:2c91' } as QueuedDelivery) // 'isc-idn%3Aidentity-created%3A2c91'
 */
export function jobIdFor(delivery: Pick<QueuedDelivery, 'key'>): string {
  const key = delivery.key
  if (key === undefined || key === '') return `isc-${randomUUID()}`
  const mapped = key.replaceAll('%', '%25').replaceAll(':', '%3A')
  if (mapped.length <= LONGEST_KEY) return `isc-${mapped}`
  // '%h' never appears in an escaped key (every '%' there is '%25' or '%3A'): no key maps here.
  return `isc-%h-${createHash('sha256').update(key).digest('hex')}`
}
