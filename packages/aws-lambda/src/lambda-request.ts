import type { TriggerRequest } from '@isc-triggers/core'
import { triggerSegment } from '@isc-triggers/core/node'
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda'

/**
 * The HTTP events a Lambda function receives: API Gateway REST APIs and HTTP APIs with payload
 * format 1.0 (`APIGatewayProxyEvent`), HTTP APIs with payload format 2.0 and Function URLs
 * (`APIGatewayProxyEventV2`, of which `LambdaFunctionURLEvent` is an alias).
 *
 * @example
 * const event: LambdaHttpEvent = { version: '2.0', rawPath: '/isc/triggers/identity-created', ... }
 */
export type LambdaHttpEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2

/**
 * The route of an event, and the stage segment it may start with. A REST API's `event.path` never
 * holds the stage. An HTTP API's does (`rawPath`, and `path` in payload format 1.0, which only HTTP
 * APIs mark with `version: '1.0'`) for a stage other than `$default`, unless the request came
 * through a custom domain, which has no stage segment.
 */
function routeOf(event: LambdaHttpEvent): { route: string; stage: string | undefined } {
  if ('rawPath' in event) return { route: event.rawPath, stage: event.requestContext?.stage }
  const httpApi = (event as { version?: unknown }).version === '1.0'
  return { route: event.path, stage: httpApi ? event.requestContext?.stage : undefined }
}

/**
 * The trigger segment of the route under `path`: `''` for `path` itself, undefined when the route
 * is not the receiver's. The route is tried without its stage segment first, then as it is.
 */
function segmentOf(event: LambdaHttpEvent, path: string | undefined): string | undefined {
  const { route, stage } = routeOf(event)
  if (stage && stage !== '$default') {
    const prefix = `/${stage}`
    if (route === prefix || route.startsWith(`${prefix}/`)) {
      const segment = triggerSegment(route.slice(prefix.length) || '/', path ?? '/')
      if (segment !== undefined) return segment
    }
  }
  return triggerSegment(route, path ?? '/')
}

/** Base64 or base64url text, padded or not, that decodes without a character dropped. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

/**
 * The body as bytes when API Gateway base64-encoded it. Node's decoder drops what is not base64
 * without a word, so a body marked base64 that is not is handed on as the text it is: the
 * receiver refuses it in its order and format, and `onRejected` gets it unaltered.
 */
function bodyOf({ body, isBase64Encoded }: LambdaHttpEvent): Uint8Array | string | undefined {
  if (body == null) return undefined
  const base64 = isBase64Encoded && BASE64.test(body) && body.replace(/=+$/, '').length % 4 !== 1
  return base64 ? Buffer.from(body, 'base64') : body
}

/**
 * A Lambda HTTP event as the receiver's request: method, headers (any case; v1's
 * `multiValueHeaders` when present), the body as bytes when API Gateway base64-encoded it, and the
 * trigger from the route. A route outside `path` is handed on as the trigger it names (a path is
 * never a trigger id), so the receiver refuses it after authentication like any unknown trigger
 * (404, and `onRejected` keeps the delivery).
 */
export function toTriggerRequest(event: LambdaHttpEvent, path: string | undefined): TriggerRequest {
  const v2 = 'rawPath' in event
  const method = v2 ? event.requestContext.http.method : event.httpMethod
  const multi = v2 ? undefined : event.multiValueHeaders
  const headers = multi && Object.keys(multi).length > 0 ? multi : (event.headers ?? {})
  const body = bodyOf(event)
  const segment = segmentOf(event, path)
  const trigger = segment === undefined ? routeOf(event).route : segment === '' ? undefined : segment
  return { method, headers, body, trigger }
}
