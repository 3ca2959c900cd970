export type { AuthOptions, BasicCredential } from './auth.js'
export type { BodyStream } from './body-stream.js'
export { ISC_API_HOST_SUFFIXES } from './callback-guard.js'
export { type Catalog, catalog } from './catalog/index.js'
export {
  type CompletionClient,
  type CompletionOptions,
  type CompletionReport,
  type CompletionResult,
  type CompletionTarget,
  completeInvocation,
  createCompletionClient,
} from './completion.js'
export {
  createMemoryDedupeStore,
  createRedisDedupeStore,
  type DedupeOptions,
  type DedupeStore,
  type RedisLikeClient,
} from './dedupe.js'
export {
  isTriggerError,
  TRIGGER_ERROR_STATUS,
  TriggerConfigError,
  TriggerError,
  type TriggerErrorCode,
  type TriggerErrorOptions,
  type TriggerIssue,
} from './errors.js'
export type { HeadersInput, TriggerHeaders } from './headers.js'
export {
  handleNodeRequest,
  type NodeDelivery,
  type NodeErrorHandler,
  type NodeHandler,
  type NodeHandlerOptions,
  receiveNodeRequest,
  toNodeErrorHandler,
  toNodeHandler,
  triggerSegment,
  writeReply,
} from './node.js'
export {
  type CloseOptions,
  type CloseReport,
  createTriggerReceiver,
  type TriggerReceiver,
  type TriggerReceiverOptions,
  type TriggerRequest,
} from './receiver.js'
export {
  type AnyTrigger,
  defineTrigger,
  type FireAndForgetTrigger,
  type InputOf,
  type OutputOf,
  type RequestResponseTrigger,
  type TriggerType,
} from './registry.js'
export type { TriggerRejection } from './rejection.js'
export { type TriggerReply, toErrorReply } from './reply.js'
export type {
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
