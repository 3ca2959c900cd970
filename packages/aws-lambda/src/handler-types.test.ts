import { createTriggerReceiver } from '@isc-triggers/core'
import type {
  APIGatewayProxyHandler,
  APIGatewayProxyHandlerV2,
  APIGatewayProxyHandlerV2WithJWTAuthorizer,
  EventBridgeHandler,
  LambdaFunctionURLHandler,
  LambdaFunctionURLHandlerWithIAMAuthorizer,
} from 'aws-lambda'
import { expect, it } from 'vitest'
import { toEventBridgeHandler, toLambdaHandler } from './index.js'

// The handlers fit the handler types users annotate their exports with (checked by tsc).
it('the handlers are assignable to the handler types of @types/aws-lambda', () => {
  const receiver = createTriggerReceiver({ auth: { type: 'none' }, logger: false })
  const http = toLambdaHandler(receiver, { path: '/isc/triggers' })
  const rest: APIGatewayProxyHandler = http
  const httpApi: APIGatewayProxyHandlerV2 = http
  const withJwt: APIGatewayProxyHandlerV2WithJWTAuthorizer = http
  const functionUrl: LambdaFunctionURLHandler = http
  const withIam: LambdaFunctionURLHandlerWithIAMAuthorizer = http
  const events: EventBridgeHandler<string, unknown, void> = toEventBridgeHandler(receiver)
  for (const handler of [rest, httpApi, withJwt, functionUrl, withIam, events])
    expect(handler).toBeTypeOf('function')
})
