import { randomUUID } from 'node:crypto'
import type { QueuedDelivery, ReplyWatch } from '@isc-triggers/core'
import type { Queue } from 'bullmq'
import { jobIdFor } from './job-id.js'
import { claimTtl, type ReplyChannel, type ReplyMessage } from './reply-channel.js'
import type { StoredJob } from './stored-job.js'

/** ISC waits 10 s for a reply (PROTOCOL.md). */
const ISC_REPLY_LIMIT_MS = 10_000

/** Resolves after `ms` with `value`; `cancel` clears the timer. */
function after<T>(ms: number, value: T): { promise: Promise<T>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined
  const promise = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(value), Math.max(0, ms))
  })
  return { promise, cancel: () => clearTimeout(timer) }
}

/**
 * The web process's side of a DYNAMIC delivery on BullMQ: waits for the worker's decision (Redis
 * pub/sub, and one look at the job for a decision made before the subscription was in place),
 * then claims the inline answer. The answer always follows the claim: `inline` is a 200 with the
 * decision, `callback` (the worker's) a 202. A claim whose outcome cannot be learnt (Redis gone,
 * or no answer by ISC's 10 s) answers 200 with the decision too: if the claim landed, that is the
 * only answer ISC gets; if not, the worker also calls back and ISC refuses that second one (400).
 * A 202 on an unknown claim could leave ISC with no decision at all.
 *
 * @example
 * const watch = watchDynamicReply(queue, replies, delivery) // before the job is added
 * await queue.add(...)
 * const decided = await watch.wait(remainingBudgetMs) // { output } or undefined (202)
 */
export function watchDynamicReply(queue: Queue, replies: ReplyChannel, delivery: QueuedDelivery): ReplyWatch {
  delivery.key ||= randomUUID() // keyed now, so that enqueue() adds the job under this same id
  const id = jobIdFor(delivery)
  const subscribed = replies.subscribed()
  let settle: (message: ReplyMessage | undefined) => void = () => {}
  const arrived = new Promise<ReplyMessage | undefined>((resolve) => {
    settle = resolve
  })
  const stop = replies.listen(id, (message) => settle(message))
  return {
    cancel: stop,
    async wait(ms) {
      const budget = after<undefined>(ms, undefined)
      try {
        // The job may have been decided before the subscription was in place: look once.
        subscribed
          .then(async () => {
            const stored = (await queue.getJob(id))?.data as StoredJob | undefined
            const decision = stored?.decision
            if (decision && 'output' in decision && !stored?.deferred)
              settle({ id, kind: 'decision', output: decision.output })
          })
          .catch(() => {})
        const message = await Promise.race([arrived, budget.promise])
        if (message?.kind !== 'decision') return undefined
        const unknown = after(delivery.receivedAt + ISC_REPLY_LIMIT_MS - Date.now(), 'unknown' as const)
        try {
          const claim = replies.claim(id, 'inline', claimTtl(delivery)).catch(() => 'unknown' as const)
          const won = await Promise.race([claim, unknown.promise])
          return won === 'callback' ? undefined : { output: message.output }
        } finally {
          unknown.cancel()
        }
      } finally {
        budget.cancel()
        stop()
      }
    },
  }
}
