import { createHash, randomUUID } from 'node:crypto'
import type { QueuedDelivery } from '@isc-triggers/core'

/** Longer keys are hashed: a job id is a Redis key part and shows in every dashboard. */
const LONGEST_KEY = 200

function hashed(key: string): string {
  // '%h' never appears in an escaped key (every '%' there is '%25' or '%3A'): no key maps here.
  return `isc-%h-${createHash('sha256').update(key).digest('hex')}`
}

/**
 * The BullMQ job id of a delivery, so that a delivery that arrives twice is stored once:
 * - request-response: `isc-` and the invocation id, with `%` and `:` percent-encoded (BullMQ ids
 *   cannot contain `:`); the `isc-` prefix keeps an id from being all digits (BullMQ's own ids);
 * - fire-and-forget: `isc-%h-` and the SHA-256 of the dedupe key, since that key is made of
 *   payload values (an identity id, an email) and job ids show in logs and dashboards;
 * - a key over 200 characters is hashed too; a delivery without a key gets a random id.
 *
 * @example
 * jobIdFor({ key: '2c91:ab' }) // 'isc-2c91%3Aab'
 * jobIdFor({ key: 'idn:identity-created:2c91', mode: 'event' }) // 'isc-%h-<64 hex>'
 */
export function jobIdFor(delivery: Pick<QueuedDelivery, 'key'> & { mode?: QueuedDelivery['mode'] }): string {
  const key = delivery.key
  if (key === undefined || key === '') return `isc-${randomUUID()}`
  if (delivery.mode === 'event') return hashed(key)
  const mapped = key.replaceAll('%', '%25').replaceAll(':', '%3A')
  return mapped.length <= LONGEST_KEY ? `isc-${mapped}` : hashed(key)
}
