import type { TriggerReceiver } from '@isc-triggers/core'
import { handleUntilSettled } from '@isc-triggers/core/node'
import { type LambdaHttpEvent, toTriggerRequest } from './lambda-request.js'

/**
 * Options of {@link toLambdaHandler}.
 *
 * @example
 * toLambdaHandler(receiver, { path: '/isc/triggers' })
 */
export interface LambdaHandlerOptions {
  /**
   * The mount path: deliveries go to `<path>/<trigger>` (or `<path>` with `_metadata.triggerId`).
   * Default `/`. Matched against the route without the stage segment of an HTTP API's named stage
   * (see the README); behind a custom domain with an API mapping key, include the key.
   */
  path?: string
}

/**
 * What the handler returns: the receiver's reply, which API Gateway (REST and HTTP APIs, both
 * payload formats) and Function URLs send as it is.
 *
 * @example
 * const result: LambdaHttpResult = { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{}' }
 */
export interface LambdaHttpResult {
  statusCode: number
  headers: Record<string, string>
  body: string
}

/**
 * The handler {@link toLambdaHandler} makes; assignable to `APIGatewayProxyHandler`,
 * `APIGatewayProxyHandlerV2` and `LambdaFunctionURLHandler`.
 *
 * @example
 * export const handler: LambdaHttpHandler = toLambdaHandler(receiver, { path: '/isc/triggers' })
 */
export type LambdaHttpHandler = (event: LambdaHttpEvent) => Promise<LambdaHttpResult>

/**
 * A Lambda handler for ISC trigger deliveries over HTTP: API Gateway REST APIs (v1 events), HTTP
 * APIs (payload format 1.0 or 2.0) and Function URLs. Every status, credential check and body rule
 * is the receiver's, as with `receiver.handle()`; the handler only translates the event and the
 * reply.
 *
 * Lambda freezes the process once the handler returns, so the handler returns only when the work
 * the delivery started is done: an ASYNC handler and its callback, a DYNAMIC one's callback after
 * a 202. An ASYNC reply therefore reaches ISC after its decision: keep such handlers well within
 * ISC's 10 s, or subscribe over EventBridge (`toEventBridgeHandler`).
 *
 * @example
 * const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [process.env.ISC_TOKEN!] } })
 * receiver.on('idn:identity-created', async (input) => console.log(input.identity.name))
 * export const handler = toLambdaHandler(receiver, { path: '/isc/triggers' })
 * // POST https://<api>/isc/triggers/identity-created → 200 {}
 */
export function toLambdaHandler(
  receiver: TriggerReceiver,
  options: LambdaHandlerOptions = {},
): LambdaHttpHandler {
  const path = options.path
  return async (event) => {
    const reply = await handleUntilSettled(receiver, toTriggerRequest(event, path))
    return { statusCode: reply.status, headers: reply.headers, body: reply.body }
  }
}
