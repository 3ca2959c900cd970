// POST /isc/triggers/<trigger>: a Next.js route handler over the receiver's Fetch entry point. Only
// POST is exported: Next answers other methods itself (an empty 405; see the README).
import { triggerReceiver } from '../../../../receiver'

/**
 * Core uses Node built-ins (and a BullMQ queue needs Redis over TCP): never the Edge runtime.
 *
 * @example
 * export const runtime = 'nodejs' // Next reads it from the route module
 */
export const runtime = 'nodejs'

/**
 * Hands the delivery to the receiver, which authenticates, reads the body (within its limit),
 * validates, runs the handler and replies.
 *
 * @example
 * // What Next does for POST /isc/triggers/identity-created:
 * const response = await POST(request, { params: Promise.resolve({ trigger: 'identity-created' }) })
 */
export async function POST(request: Request, context: { params: Promise<{ trigger: string }> }) {
  const { trigger } = await context.params
  return triggerReceiver().fetch(request, trigger)
}
