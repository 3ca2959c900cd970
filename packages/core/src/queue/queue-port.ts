import type { TriggerInvocation } from '../types.js'

/**
 * One delivery as the web process stores it for a worker: already authenticated, parsed and
 * validated, with `_metadata` split off. Plain JSON, so any store can keep it.
 *
 * @example
 * { v: 1, trigger: 'idn:identity-created', mode: 'event', input: { identity: { ... } },
 *   receivedAt: 1764650000000, key: undefined }
 */
export interface QueuedDelivery {
  v: 1
  /** The full trigger id (`idn:identity-created`). */
  trigger: string
  /** `event` for fire-and-forget; the handler's mode for request-response. */
  mode: 'event' | 'async' | 'dynamic'
  /** The payload as received (without `_metadata`); the worker parses it again with the trigger's schema. */
  input: unknown
  /** `_metadata`, with the invocation's `secret` in clear: a queue must protect it at rest. */
  invocation?: TriggerInvocation
  /** When the web process received it (epoch ms); the handler's `ctx.receivedAt`. */
  receivedAt: number
  /**
   * What makes two deliveries the same event: the invocation id (request-response) or the
   * receiver's `dedupe.key` (fire-and-forget); undefined when nothing does. A queue stores one
   * job per key.
   */
  key: string | undefined
  /** Request-response: the invocation's deadline (epoch ms), after which ISC takes no decision. */
  deadlineAt?: number
  /** DYNAMIC: until when (epoch ms) the web process may still answer with the decision itself. */
  replyBy?: number
}

/**
 * Waits for a DYNAMIC delivery's decision in the web process. Made before the delivery is
 * stored, so a worker that decides at once is not missed.
 *
 * @example
 * const watch = queue.watchReply(delivery)
 * await queue.enqueue(delivery)
 * const decided = await watch.wait(budgetMs) // { output } → 200 with it; undefined → 202
 */
export interface ReplyWatch {
  /**
   * Resolves `{ output }` when the worker's decision arrived within `ms` and this process won
   * the claim to answer with it (200); `undefined` for a 202 (deferred, not in time, or the
   * worker claimed the callback). Never rejects.
   */
  wait(ms: number): Promise<{ output: unknown } | undefined>
  /** Stops watching (the delivery could not be stored). */
  cancel(): void
}

/**
 * Where a receiver stores deliveries for workers (the `queue` option). `@isc-triggers/bullmq`
 * implements it on BullMQ; another engine can too: store the delivery durably before `enqueue`
 * resolves, run it with {@link queuedDeliveries} in a worker, and keep one job per `key`.
 *
 * @example
 * const receiver = createTriggerReceiver({ auth, queue: bullmqQueue({ connection, name: 'isc-triggers', sealKey }) })
 */
export interface TriggerQueue {
  /**
   * Stores one delivery. Resolves once it is stored (or a job with the same key already is);
   * rejects when it cannot be stored: ISC then gets a 503, and `onRejected` the delivery.
   */
  enqueue(delivery: QueuedDelivery): Promise<void>
  /** DYNAMIC: starts watching for the worker's decision (see {@link ReplyWatch}). */
  watchReply(delivery: QueuedDelivery): ReplyWatch
  /**
   * Longest wait for `enqueue`, in ms (default 5000; at most 2^31-1): a store that does not
   * answer in time is a 503, never a request left hanging. A store that is still connecting is
   * waited for within it. The late `enqueue` is not cancelled: if it stores the delivery after
   * all, a worker runs it although ISC got a 503 and `onRejected` got the delivery (so a replay
   * from `onRejected` may run it twice; the job id, from the dedupe key, can tell).
   */
  readonly enqueueTimeoutMs?: number
  /** Releases the queue's connections; `receiver.close()` calls it once deliveries are answered. */
  close(): Promise<void>
}
