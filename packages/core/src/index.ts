export { ISC_API_HOST_SUFFIXES } from './callbacks/callback-guard.js'
export {
  type CompletionClient,
  type CompletionOptions,
  type CompletionReport,
  type CompletionResult,
  type CompletionTarget,
  completeInvocation,
  createCompletionClient,
} from './callbacks/completion-client.js'
export {
  createMemoryDedupeStore,
  createRedisDedupeStore,
  type DedupeOptions,
  type DedupeStore,
  type RedisLikeClient,
} from './dedupe/dedupe.js'
export {
  errorSummary,
  isTriggerError,
  TRIGGER_ERROR_STATUS,
  TriggerConfigError,
  TriggerError,
  type TriggerErrorCode,
  type TriggerErrorOptions,
  type TriggerIssue,
} from './errors.js'
export type { AuthOptions, BasicCredential } from './http/auth.js'
export type { BodyStream } from './http/body-stream.js'
export type { HeadersInput, TriggerHeaders } from './http/headers.js'
export type { TriggerReply } from './http/reply.js'
export { type NodeHandler, type NodeHandlerOptions, toNodeHandler } from './node/node-handler.js'
export {
  CALLBACK_CHANNEL,
  type CallbackAttemptOutcome,
  type CallbackTraceContext,
  DELIVERY_CHANNEL,
  type DeliveryTraceContext,
} from './observability/channels.js'
export type { DeliveryEvent, ReceiverHooks, WrapHandler } from './observability/hooks.js'
export type { QueuedDelivery, ReplyWatch, TriggerQueue } from './queue/queue-port.js'
export type { QueuedDeliveryRunner, QueuedRunOptions } from './queue/queued-runner.js'
export {
  type CloseOptions,
  type CloseReport,
  createTriggerReceiver,
  queuedDeliveries,
  type TriggerReceiver,
  type TriggerReceiverOptions,
  type TriggerRequest,
} from './receiver/receiver.js'
export type { TriggerRejection } from './receiver/rejection.js'
export { type Catalog, catalog } from './schemas/catalog/index.js'
export {
  type AnyTrigger,
  defineTrigger,
  type FireAndForgetTrigger,
  type InputOf,
  type OutputOf,
  type RequestResponseTrigger,
  type TriggerType,
} from './schemas/define-trigger.js'
export type {
  EventHandlerOptions,
  HandlerOptions,
  RequestResponseOptions,
  TriggerContext,
  TriggerHandler,
  TriggerId,
  TriggerInput,
  TriggerInvocation,
  TriggerLogger,
  TriggerOutput,
} from './types.js'
