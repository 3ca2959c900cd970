import { DEFAULT_ENQUEUE_TIMEOUT_MS } from '../defaults.js'
import { type DispatchEnv, log, remainingBudget } from '../dispatch/handler-call.js'
import type { HandlerEntry } from '../dispatch/handler-entry.js'
import { callbackTarget } from '../dispatch/request-response.js'
import { errorSummary, TriggerError } from '../errors.js'
import { ackReply, jsonReply, type TriggerReply } from '../http/reply.js'
import type { RequestResponseTrigger } from '../schemas/define-trigger.js'
import type { TriggerInvocation } from '../types.js'
import type { QueuedDelivery, TriggerQueue } from './queue-port.js'

/**
 * True when a delivery for `entry` goes to the queue: every fire-and-forget, ASYNC and DYNAMIC
 * handler unless registered with `{ queue: false }`. SYNC never does: its reply cannot wait.
 */
export function goesToQueue(entry: HandlerEntry): boolean {
  return entry.queued && !(entry.trigger.type === 'request-response' && entry.mode === 'sync')
}

/** The delivery as stored: ASYNC and DYNAMIC ones only with a callback the guard allows. */
export function queuedDelivery(
  entry: HandlerEntry,
  input: unknown,
  invocation: TriggerInvocation | undefined,
  receivedAt: Date,
  key: string | undefined,
  env: DispatchEnv,
): QueuedDelivery {
  const at = receivedAt.getTime()
  const delivery: QueuedDelivery = {
    v: 1,
    trigger: entry.trigger.id,
    mode: 'event',
    input,
    receivedAt: at,
    key,
  }
  if (invocation) delivery.invocation = invocation
  if (entry.trigger.type === 'fire-and-forget') return delivery
  const target = callbackTarget(entry.trigger as RequestResponseTrigger, invocation, env) // INVALID_CALLBACK before anything is stored
  delivery.mode = entry.mode === 'dynamic' ? 'dynamic' : 'async'
  delivery.key = target.invocationId || key
  delivery.deadlineAt = at + env.deadlineMs
  if (delivery.mode === 'dynamic') delivery.replyBy = at + entry.timeoutMs
  return delivery
}

/** `enqueue`, within the queue's time limit; a failure or a stall is QUEUE_UNAVAILABLE (logged). */
async function store(queue: TriggerQueue, delivery: QueuedDelivery, env: DispatchEnv): Promise<void> {
  const ms = queue.enqueueTimeoutMs ?? DEFAULT_ENQUEUE_TIMEOUT_MS
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms)
  })
  let outcome: unknown
  try {
    outcome = await Promise.race([new Promise<void>((resolve) => resolve(queue.enqueue(delivery))), late])
  } catch (error) {
    log(env, 'error', `The queue could not store a ${delivery.trigger} delivery`, {
      trigger: delivery.trigger,
      invocationId: delivery.invocation?.invocationId,
      error: errorSummary(error),
    })
    throw new TriggerError('QUEUE_UNAVAILABLE', 'The delivery could not be stored; it was not accepted')
  } finally {
    clearTimeout(timer)
  }
  if (outcome === 'late') {
    log(env, 'error', `The queue did not store a ${delivery.trigger} delivery within ${ms} ms`, {
      trigger: delivery.trigger,
      invocationId: delivery.invocation?.invocationId,
    })
    throw new TriggerError(
      'QUEUE_UNAVAILABLE',
      'The delivery could not be stored in time; it was not accepted',
    )
  }
}

/**
 * Stores a validated delivery for a worker, then answers: `200 {}` once it is stored
 * (fire-and-forget, ASYNC); DYNAMIC waits for the worker's decision for what is left of the
 * handler's budget and answers 200 with it, or 202 (the worker then calls back). Not stored: 503.
 *
 * @example
 * const reply = await enqueueDelivery(queue, delivery, entry, env) // { status: 200, body: '{}' }
 */
export async function enqueueDelivery(
  queue: TriggerQueue,
  delivery: QueuedDelivery,
  entry: HandlerEntry,
  env: DispatchEnv,
): Promise<TriggerReply> {
  if (delivery.mode !== 'dynamic') {
    await store(queue, delivery, env)
    return ackReply()
  }
  const watch = queue.watchReply(delivery)
  try {
    await store(queue, delivery, env)
  } catch (error) {
    watch.cancel()
    throw error
  }
  const decided = await watch.wait(remainingBudget(entry.timeoutMs, new Date(delivery.receivedAt)))
  return decided ? jsonReply(200, decided.output) : ackReply(202)
}
