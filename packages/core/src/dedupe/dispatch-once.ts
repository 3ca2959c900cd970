import { type DispatchEnv, dispatch } from '../dispatch/dispatch.js'
import type { HandlerEntry } from '../dispatch/handler-entry.js'
import { TriggerError } from '../errors.js'
import { ackReply, type TriggerReply } from '../http/reply.js'
import type { TriggerInvocation } from '../types.js'
import type { DedupeStore } from './dedupe.js'

/** Where a delivery is claimed, and for how long. */
export interface Claim {
  store: DedupeStore
  key: string
  ttlMs: number
}

/**
 * Dispatches a delivery only if its key is claimed here first, and gives the claim back when the
 * handler fails (a 5xx or a throw), so a redelivery may run it. A duplicate fire-and-forget or
 * ASYNC delivery is acknowledged without running; a duplicate SYNC or DYNAMIC one is a 409. If
 * the store fails, the delivery runs anyway (logged): ISC does not redeliver, so losing an event
 * is worse than running it twice.
 *
 * @example
 * const reply = await dispatchOnce({ store, key: 'idn:identity-created:abc', ttlMs }, entry, input, undefined, new Date(), env)
 */
export async function dispatchOnce(
  claim: Claim,
  entry: HandlerEntry,
  payload: unknown,
  invocation: TriggerInvocation | undefined,
  receivedAt: Date,
  env: DispatchEnv,
): Promise<TriggerReply> {
  const { store, key } = claim
  let claimed: boolean
  try {
    claimed = await store.claim(key, claim.ttlMs)
  } catch (error) {
    env.logger.error(`The dedupe store failed; ${entry.trigger.id} runs without deduplication`, { error })
    return dispatch(entry, payload, invocation, receivedAt, env)
  }
  if (!claimed) {
    if (entry.trigger.type === 'fire-and-forget' || entry.mode === 'async') return ackReply()
    throw new TriggerError('DUPLICATE_DELIVERY', `This ${entry.trigger.id} delivery is already being handled`)
  }
  let reply: TriggerReply
  try {
    reply = await dispatch(entry, payload, invocation, receivedAt, env)
  } catch (error) {
    await Promise.resolve(store.release(key)).catch(() => {})
    throw error
  }
  if (reply.status >= 500) await Promise.resolve(store.release(key)).catch(() => {})
  return reply
}
