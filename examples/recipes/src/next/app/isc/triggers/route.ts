// POST /isc/triggers: no trigger segment, so the body's `_metadata.triggerId` names the trigger.
// Only POST is exported: Next answers other methods itself (an empty 405; see the README).
import { triggerReceiver } from '../../../receiver'

/**
 * Core uses Node built-ins (and a BullMQ queue needs Redis over TCP): never the Edge runtime.
 *
 * @example
 * export const runtime = 'nodejs' // Next reads it from the route module
 */
export const runtime = 'nodejs'

/**
 * Hands the delivery to the receiver; `_metadata.triggerId` (request-response triggers) decides.
 *
 * @example
 * // What Next does for POST /isc/triggers:
 * const response = await POST(request)
 */
export async function POST(request: Request) {
  return triggerReceiver().fetch(request)
}
