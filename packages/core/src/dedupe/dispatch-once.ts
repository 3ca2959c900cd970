import { type DispatchEnv, dispatch } from '../dispatch/dispatch.js'
import { ids, log, remainingBudget } from '../dispatch/handler-call.js'
import type { HandlerEntry } from '../dispatch/handler-entry.js'
import { errorSummary, TriggerError } from '../errors.js'
import { ackReply, type TriggerReply } from '../http/reply.js'
import type { TriggerInvocation } from '../types.js'
import type { DedupeStore } from './dedupe.js'

/** Where a delivery is claimed, for how long, and how long a store call may take. */
export interface Claim {
  store: DedupeStore
  key: string
  ttlMs: number
  timeoutMs: number
}

const TIMED_OUT = Symbol('store timed out')

/** The store's answer, or TIMED_OUT after `ms`; a store that throws rejects. */
function within<T>(call: () => Promise<T> | T, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms)
  })
  const answer = new Promise<T>((resolve) => resolve(call()))
  return Promise.race([answer, late]).finally(() => clearTimeout(timer))
}

/**
 * Logs (a throwing logger changes nothing) with the delivery's ids, and of the store's error only
 * its summary: a Redis client's error carries the command's arguments, the key among them.
 */
function logStoreFault(
  env: DispatchEnv,
  message: string,
  where: Record<string, unknown>,
  error?: unknown,
): void {
  log(env, 'error', message, error === undefined ? where : { ...where, error: errorSummary(error) })
}

/**
 * Claims the key within the store's time limit (and, for a SYNC or DYNAMIC handler, within what
 * is left of its budget). True or false is the store's answer; undefined means the store failed
 * or stalled, and the delivery runs without deduplication.
 */
async function claimKey(
  claim: Claim,
  entry: HandlerEntry,
  where: Record<string, unknown>,
  receivedAt: Date,
  env: DispatchEnv,
): Promise<boolean | undefined> {
  const answersNow = entry.trigger.type === 'request-response' && entry.mode !== 'async'
  const ms = answersNow
    ? Math.min(claim.timeoutMs, remainingBudget(entry.timeoutMs, receivedAt))
    : claim.timeoutMs
  const id = entry.trigger.id
  try {
    const claimed = await within(() => claim.store.claim(claim.key, claim.ttlMs), ms)
    if (claimed !== TIMED_OUT) return claimed
    logStoreFault(
      env,
      `The dedupe store did not answer within ${ms} ms; ${id} runs without deduplication`,
      where,
    )
  } catch (error) {
    logStoreFault(env, `The dedupe store failed; ${id} runs without deduplication`, where, error)
  }
  return undefined
}

/** Gives a claim back, within the store's time limit; a failure is logged, never thrown. */
async function release(claim: Claim, where: Record<string, unknown>, env: DispatchEnv): Promise<void> {
  try {
    const released = await within(() => claim.store.release(claim.key), claim.timeoutMs)
    if (released === TIMED_OUT)
      logStoreFault(env, `The dedupe store did not release a claim within ${claim.timeoutMs} ms`, where)
  } catch (error) {
    logStoreFault(env, 'The dedupe store failed to release a claim', where, error)
  }
}

/**
 * Dispatches a delivery only if its key is claimed here first, and gives the claim back when the
 * handler fails in any mode (a 5xx, a throw, or an ASYNC/DYNAMIC handler failing after the reply),
 * so a redelivery may run it. A duplicate fire-and-forget or ASYNC delivery is acknowledged
 * without running; a duplicate SYNC or DYNAMIC one is a 409. If the store fails or does not answer
 * within `timeoutMs`, the delivery runs anyway (logged): ISC does not redeliver, so losing an
 * event is worse than running it twice.
 *
 * @example
 * const reply = await dispatchOnce({ store, key: 'idn:identity-created:abc', ttlMs, timeoutMs: 1000 }, entry, input, undefined, new Date(), env)
 */
export async function dispatchOnce(
  claim: Claim,
  entry: HandlerEntry,
  payload: unknown,
  invocation: TriggerInvocation | undefined,
  receivedAt: Date,
  env: DispatchEnv,
): Promise<TriggerReply> {
  const where = ids(entry.trigger, invocation)
  const claimed = await claimKey(claim, entry, where, receivedAt, env)
  if (claimed === undefined) return dispatch(entry, payload, invocation, receivedAt, env)
  if (!claimed) {
    if (entry.trigger.type === 'fire-and-forget' || entry.mode === 'async') return ackReply()
    throw new TriggerError('DUPLICATE_DELIVERY', `This ${entry.trigger.id} delivery is already being handled`)
  }
  const giveBack = () => release(claim, where, env)
  let reply: TriggerReply
  try {
    reply = await dispatch(entry, payload, invocation, receivedAt, env, () => {
      env.track(giveBack())
    })
  } catch (error) {
    await giveBack()
    throw error
  }
  if (reply.status >= 500) await giveBack()
  return reply
}
