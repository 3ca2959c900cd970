import type { TriggerReceiver, TriggerReply } from '@isc-triggers/core'
import { type Delivered, deliver, type FakeIsc, sampleInput } from '@isc-triggers/testing'
import type { Job, Queue } from 'bullmq'
import { Redis } from 'ioredis'
import type { StoredJob } from './stored-job.js'

/** The bearer token the receivers of the fault-path suites accept. */
export const TOKEN = 'bullmq-fault-path-token'

/** An `idn:identity-created` payload whose identity id is `id`, so each delivery can be told apart. */
export function identityCreated(id: string): Record<string, unknown> {
  const sample = sampleInput('idn:identity-created')
  return { ...sample, identity: { ...sample.identity, id } }
}

/**
 * Delivers an `idn:identity-created` event for identity `id` through `receiver.handle()`.
 *
 * @example
 * const reply = await deliverIdentity(web, 'id-1') // reply.status === 200 once stored
 */
export function deliverIdentity(receiver: TriggerReceiver, id: string): Promise<Delivered> {
  return deliver(receiver, 'idn:identity-created', identityCreated(id), { bearer: TOKEN })
}

/** Every job of the queue, whatever its state. */
export function allJobs(queue: Queue): Promise<Job<StoredJob>[]> {
  return queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'])
}

/** The identity ids of the `idn:identity-created` jobs stored in the queue. */
export async function storedIdentityIds(queue: Queue): Promise<string[]> {
  const jobs = await allJobs(queue)
  return jobs.map((job) => (job.data.input as { identity?: { id?: string } }).identity?.id ?? '?').sort()
}

/**
 * The job's `data` field exactly as Redis holds it (`HGET <prefix>:<name>:<id> data`), read with
 * a client of its own: what anyone with access to Redis can read.
 *
 * @example
 * const raw = await rawJobData(redisUrl, name, job.id) // '{"v":1,"trigger":...}'
 */
export async function rawJobData(url: string, name: string, id: string, prefix = 'bull'): Promise<string> {
  const redis = new Redis(url)
  try {
    const data = await redis.hget(`${prefix}:${name}:${id}`, 'data')
    if (data === null) throw new Error(`no job ${id} in ${prefix}:${name}`)
    return data
  } finally {
    redis.disconnect()
  }
}

/** A promise and the function that resolves it, to hold a handler until the test lets it go. */
export function newGate(): { promise: Promise<void>; open: () => void } {
  let open = () => {}
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** The ASYNC/DYNAMIC trigger the request-response suites deliver. */
export const PRE_APPROVAL = 'idn:access-request-pre-approval'

/**
 * Delivers `idn:access-request-pre-approval` with `_metadata` for invocation `invocationId` (its
 * callback on `isc`) and the given `secret`, as ISC does for an ASYNC or DYNAMIC subscription.
 *
 * @example
 * const reply = await deliverInvocation(web, isc, 'inv-1', 's3cr3t') // { status: 200, body: '{}' }
 */
export function deliverInvocation(
  receiver: TriggerReceiver,
  isc: FakeIsc,
  invocationId: string,
  secret: string,
  callbackURL = isc.callbackURL(invocationId),
): Promise<TriggerReply> {
  const _metadata = { callbackURL, secret, triggerId: PRE_APPROVAL, triggerType: 'requestResponse' }
  return receiver.handle({
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...sampleInput(PRE_APPROVAL), _metadata }),
    trigger: 'access-request-pre-approval',
  })
}
