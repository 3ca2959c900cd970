import { createTriggerReceiver } from '@isc-triggers/core'
import { DECISION, TOKEN } from './payloads.js'

/** A receiver with the three benchmark triggers, auth and validation on. */
export function benchReceiver() {
  const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TOKEN] }, logger: false })
  receiver.on('idn:identity-created', () => {})
  receiver.on('idn:post-provisioning', () => {})
  receiver.on('idn:access-request-pre-approval', () => DECISION)
  return receiver
}
