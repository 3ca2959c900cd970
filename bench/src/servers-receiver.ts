import { createTriggerReceiver, type TriggerQueue } from '@isc-triggers/core'
import { DECISION, TOKEN } from './payloads.js'

/**
 * A receiver with the three benchmark triggers, auth and validation on. With `queue`, the
 * fire-and-forget deliveries are stored for workers (the SYNC one still runs in process).
 */
export function benchReceiver(queue?: TriggerQueue) {
  return benchReceiverOf(createTriggerReceiver, queue)
}

/**
 * The same receiver, made by the `createTriggerReceiver` given: today's, or an earlier commit's
 * (bench/src/baseline.ts), so both are set up alike.
 */
export function benchReceiverOf(create: typeof createTriggerReceiver, queue?: TriggerQueue) {
  const receiver = create({
    auth: { type: 'bearer', tokens: [TOKEN] },
    logger: false,
    ...(queue ? { queue } : {}),
  })
  receiver.on('idn:identity-created', () => {})
  receiver.on('idn:post-provisioning', () => {})
  receiver.on('idn:access-request-pre-approval', () => DECISION)
  return receiver
}
