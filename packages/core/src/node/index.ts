/**
 * `@isc-triggers/core/node`: the plumbing framework adapters build on (the Express, Koa and NestJS
 * adapters use it; the AWS Lambda adapter uses `handleUntilSettled` and `handleTrustedEvent`). An
 * application mounts a receiver with `toNodeHandler()` from the package root or with an adapter;
 * it rarely needs these.
 *
 * @example
 * import { handleNodeRequest } from '@isc-triggers/core/node'
 * app.post('/isc/triggers/:trigger', (req, res, next) =>
 *   handleNodeRequest(receiver, req, res, { trigger: req.params.trigger }).catch(next))
 */
export { type TriggerReply, toErrorReply } from '../http/reply.js'
export {
  handleTrustedEvent,
  handleUntilSettled,
  type TrustedEvent,
} from '../receiver/settled-delivery.js'
export { triggerSegment } from './mount-path.js'
export { type NodeErrorHandler, toNodeErrorHandler } from './node-handler.js'
export {
  answerNodeRequest,
  handleNodeRequest,
  type NodeDelivery,
  receiveNodeRequest,
  writeReply,
} from './node-request.js'
