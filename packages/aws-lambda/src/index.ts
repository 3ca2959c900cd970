export { type EventBridgeTriggerHandler, toEventBridgeHandler } from './eventbridge-handler.js'
export {
  type LambdaHandlerOptions,
  type LambdaHttpHandler,
  type LambdaHttpResult,
  toLambdaHandler,
} from './lambda-handler.js'
export type { LambdaHttpEvent } from './lambda-request.js'
