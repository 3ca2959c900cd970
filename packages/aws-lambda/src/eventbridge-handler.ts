import type { TriggerReceiver } from '@isc-triggers/core'
import { handleTrustedEvent } from '@isc-triggers/core/node'
import type { EventBridgeEvent } from 'aws-lambda'

/**
 * The handler {@link toEventBridgeHandler} makes: resolves when the event is done with (handled or
 * refused for good), rejects when a retry may succeed.
 *
 * @example
 * export const handler: EventBridgeTriggerHandler = toEventBridgeHandler(receiver)
 */
export type EventBridgeTriggerHandler = (event: EventBridgeEvent<string, unknown>) => Promise<void>

/**
 * A Lambda handler for ISC's EVENTBRIDGE subscriptions: an event's `detail-type` is the trigger id
 * and its `detail` the payload, `_metadata` included. The receiver's `auth` does not apply (IAM
 * guards the event bus); everything else is as for an HTTP delivery: validation, the handler,
 * `onRejected`, hooks and `close()`. A request-response handler of any mode decides by callback
 * (`{ secret, output }` to `_metadata.callbackURL`), since an event has no reply.
 *
 * The promise resolves once the handler ran and any decision was sent, or once an invalid event
 * (unknown trigger, malformed or off-schema payload) was handed to `onRejected` (or logged):
 * retrying cannot fix it. It rejects when trying again may succeed or nothing kept the event (the
 * handler failed, `onRejected` threw or rejected, the queue could not store the event, the receiver
 * is closing or closed before a decision was sent), so Lambda retries the event and, after the
 * last retry, sends it to the function's on-failure destination.
 *
 * @example
 * const receiver = createTriggerReceiver({ auth: { type: 'none' }, completion: { clientId, clientSecret } })
 * receiver.on('idn:identity-created', async (input) => console.log(input.identity.name))
 * export const handler = toEventBridgeHandler(receiver)
 */
export function toEventBridgeHandler(receiver: TriggerReceiver): EventBridgeTriggerHandler {
  // async: an event that is not an object rejects rather than throwing before a promise exists.
  // `time` is when the event was put on the bus, kept by Lambda's retries: the invocation's
  // deadline counts from it (core takes now for a time that is not a date or is in the future).
  return async (event) =>
    handleTrustedEvent(receiver, {
      trigger: event['detail-type'],
      payload: event.detail,
      receivedAt: typeof event.time === 'string' ? new Date(event.time) : undefined,
    })
}
