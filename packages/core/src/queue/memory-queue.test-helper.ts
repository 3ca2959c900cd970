// An in-memory TriggerQueue for core's queue tests: no Redis, no BullMQ. Each enqueue can be made
// to resolve, reject or never settle (or be settled by the test), and each DYNAMIC watch is decided
// by the test. Test-only: not part of the package.
import type { QueuedDelivery, ReplyWatch, TriggerQueue } from './queue-port.js'

/** How `enqueue` behaves: settle at once either way, never settle, or wait for the test. */
export type EnqueueBehaviour = 'resolve' | 'reject' | 'never' | 'manual'

/** One `enqueue` call, and the hands to settle it (`manual`). */
export interface EnqueueCall {
  delivery: QueuedDelivery
  resolve(): void
  reject(error: unknown): void
}

/** One `watchReply` call; `decide` resolves its `wait` (once it was called). */
export interface WatchCall {
  delivery: QueuedDelivery
  /** The `ms` passed to `wait`; undefined until the receiver waits. */
  waitedMs: number | undefined
  cancelled: boolean
  decide(decision: { output: unknown } | undefined): void
}

/** The double, with everything it saw. */
export interface MemoryQueue extends TriggerQueue {
  enqueueTimeoutMs: number | undefined
  /** What the next `enqueue` calls do. */
  behaviour: EnqueueBehaviour
  /** The error a `reject` enqueue rejects with. */
  failure: Error
  calls: EnqueueCall[]
  /** Deliveries whose enqueue resolved, in order. */
  stored: QueuedDelivery[]
  watches: WatchCall[]
  closeCalls: number
  /** What happened, in order: `watch`, `enqueue`, `stored`, `wait`, `cancel`, `close`, and the test's own notes. */
  log: string[]
}

/**
 * Creates the double. With `manual`, settle a call with `queue.calls[i].resolve()`.
 *
 * @example
 * const queue = memoryQueue({ behaviour: 'manual' })
 * const reply = receiver.handle(delivery)
 * await expect.poll(() => queue.calls.length).toBe(1)
 * queue.calls[0].resolve()
 */
export function memoryQueue(
  options: { behaviour?: EnqueueBehaviour; enqueueTimeoutMs?: number } = {},
): MemoryQueue {
  const queue: MemoryQueue = {
    enqueueTimeoutMs: options.enqueueTimeoutMs,
    behaviour: options.behaviour ?? 'resolve',
    failure: new Error('connect ECONNREFUSED redis://queue-host.internal:6379'),
    calls: [],
    stored: [],
    watches: [],
    closeCalls: 0,
    log: [],
    enqueue(delivery) {
      queue.log.push('enqueue')
      let call!: EnqueueCall
      const promise = new Promise<void>((resolve, reject) => {
        call = {
          delivery,
          resolve: () => {
            queue.stored.push(delivery)
            queue.log.push('stored')
            resolve()
          },
          reject,
        }
      })
      queue.calls.push(call)
      if (queue.behaviour === 'resolve') call.resolve()
      else if (queue.behaviour === 'reject') call.reject(queue.failure)
      return promise
    },
    watchReply(delivery): ReplyWatch {
      queue.log.push('watch')
      let decide!: WatchCall['decide']
      const decided = new Promise<{ output: unknown } | undefined>((resolve) => {
        decide = resolve
      })
      const watch: WatchCall = { delivery, waitedMs: undefined, cancelled: false, decide }
      queue.watches.push(watch)
      return {
        wait(ms) {
          queue.log.push('wait')
          watch.waitedMs = ms
          return decided
        },
        cancel() {
          queue.log.push('cancel')
          watch.cancelled = true
        },
      }
    },
    async close() {
      queue.log.push('close')
      queue.closeCalls++
    },
  }
  return queue
}

/** Lets pending microtasks and I/O callbacks run, a few rounds (no timer, no elapsed time). */
export async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}
