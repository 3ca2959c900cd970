import type { IncomingMessage, ServerResponse } from 'node:http'
import { TriggerError } from '../errors.js'
import { bodyParserFailure } from '../http/json-body.js'
import { toErrorReply } from '../http/reply.js'
import type { TriggerReceiver } from '../receiver/receiver.js'
import { normalisePath, segmentUnder } from './mount-path.js'
import { deliver, writeReply } from './node-request.js'

/**
 * Options of {@link toNodeHandler}.
 *
 * @example
 * toNodeHandler(receiver, { path: '/isc/triggers' })
 */
export interface NodeHandlerOptions {
  /**
   * The mount path: deliveries go to `<path>/<trigger>` (or `<path>` with `_metadata.triggerId`).
   * Default `/`. Other paths go to `next()` when there is one, else get a 404.
   */
  path?: string
}

/** A `(req, res, next?)` function for `node:http`, Express, Connect and anything built on Node's req/res. */
export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void

/** A Connect/Express error handler `(error, req, res, next)`. */
export type NodeErrorHandler = (
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void

/**
 * Turns a receiver into a `node:http` request listener (and Connect/Express-style middleware):
 * POST `<path>/<trigger>` is handled; anything else goes to `next()`, or gets a 404 without one.
 *
 * @example
 * http.createServer(toNodeHandler(receiver, { path: '/isc/triggers' })).listen(3000)
 * // POST /isc/triggers/identity-created → 200 {}
 */
export function toNodeHandler(receiver: TriggerReceiver, options: NodeHandlerOptions = {}): NodeHandler {
  const base = normalisePath(options.path)
  return (req, res, next) => deliverAt(base, receiver, req, res, next, undefined)
}

/**
 * The error-handling twin of {@link toNodeHandler}: when a body parser that ran first (such as
 * `express.json()`) failed on a delivery, the receiver answers it in its own JSON format. Other
 * errors, and other paths, go on to `next(error)`.
 *
 * @example
 * app.use('/isc/triggers', toNodeHandler(receiver), toNodeErrorHandler(receiver))
 */
export function toNodeErrorHandler(
  receiver: TriggerReceiver,
  options: NodeHandlerOptions = {},
): NodeErrorHandler {
  const base = normalisePath(options.path)
  return (error, req, res, next) => {
    if (bodyParserFailure(error) === undefined) next(error)
    else deliverAt(base, receiver, req, res, () => next(error), error)
  }
}

function deliverAt(
  base: string,
  receiver: TriggerReceiver,
  req: IncomingMessage,
  res: ServerResponse,
  next: ((error?: unknown) => void) | undefined,
  parserError: unknown,
): void {
  const segment = segmentUnder(req.url ?? '/', base)
  if (segment === undefined) {
    if (next) next()
    else writeReply(res, toErrorReply(new TriggerError('UNKNOWN_TRIGGER', 'Nothing is mounted at this path')))
    return
  }
  const trigger = segment === '' ? undefined : segment
  deliver(receiver, req, res, { trigger, parserError }, (error) => {
    if (error === undefined) return
    if (next) next(error)
    else if (!res.headersSent) writeReply(res, toErrorReply(error))
    else res.destroy()
  })
}
