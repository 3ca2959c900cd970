import type { CompletionResult, QueuedDelivery } from '@isc-triggers/core'
import type { Sealer } from './seal.js'

/**
 * A job's data: the delivery with its invocation secret sealed, and, once decided, the decision
 * (so a retry after a crash sends the same decision without running the handler again).
 */
export interface StoredJob extends QueuedDelivery {
  /** True when `invocation.secret` is sealed. */
  sealed?: boolean
  /** Request-response: the decision, stored before it is sent. */
  decision?: CompletionResult
  /** DYNAMIC: the handler called ctx.defer(), so the decision goes by callback, never inline. */
  deferred?: boolean
  /** Request-response: set once ISC has the decision (or answered it already had one). */
  done?: string
  /** Tells this add's job from an earlier one with the same id (see the queue's enqueue). */
  nonce?: string
}

/** What binds a sealed secret to its invocation: a sealed secret copied to another job does not open. */
function sealContext(delivery: QueuedDelivery): string {
  return delivery.invocation?.callbackURL ?? delivery.trigger
}

/** The job data for a delivery: the secret sealed. */
export function toStoredJob(delivery: QueuedDelivery, sealer: Sealer): StoredJob {
  const secret = delivery.invocation?.secret
  if (secret === undefined || !delivery.invocation) return delivery
  return {
    ...delivery,
    invocation: { ...delivery.invocation, secret: sealer.seal(secret, sealContext(delivery)) },
    sealed: sealer.sealing,
  }
}

/** The delivery a job holds, its secret unsealed (throws when the key is wrong). */
export function fromStoredJob(job: StoredJob, sealer: Sealer): QueuedDelivery {
  const { sealed, decision: _decision, deferred: _deferred, done: _done, nonce: _nonce, ...delivery } = job
  const secret = delivery.invocation?.secret
  if (!sealed || secret === undefined || !delivery.invocation) return delivery
  return {
    ...delivery,
    invocation: { ...delivery.invocation, secret: sealer.unseal(secret, sealContext(delivery)) },
  }
}
