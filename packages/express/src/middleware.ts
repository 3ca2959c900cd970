import { type TriggerReceiver, toNodeHandler } from '@isc-triggers/core'
import { handleNodeRequest, toNodeErrorHandler } from '@isc-triggers/core/node'
import type { ErrorRequestHandler, Request, RequestHandler } from 'express'

/** The middleware pair: the delivery handler, and the handler of a body parser's errors. */
export type TriggerMiddleware = [RequestHandler, ErrorRequestHandler]

/**
 * Express middleware that receives ISC trigger deliveries with a receiver from
 * `@isc-triggers/core`. Mount it with `app.use(path, ...)`: POST `<path>/<trigger>` is handled
 * (the trigger as `identity-created` or `idn:identity-created`), anything else goes to `next()`.
 * It also works as a route handler with a `:trigger` parameter.
 *
 * It reads the body itself, under the receiver's limits: mount it before any app-wide body parser.
 * It also works after `express.json()`, `express.raw()` or `express.text()` ran (their errors, such
 * as malformed JSON, are answered in the receiver's format, after authentication). A route after an
 * app-wide parser never sees that parser's errors (Express skips routes after an error): mount the
 * middleware at the path too, `app.use('/isc/triggers', middleware)`, after the route. If you use
 * `express.json()` first, raise its `limit` (100 kB by default) to the receiver's `bodyLimit`.
 *
 * @example
 * const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [process.env.ISC_TOKEN!] } })
 * receiver.on('idn:identity-created', async (input) => console.log(input.identity.name))
 * app.use('/isc/triggers', createTriggerMiddleware(receiver))
 * // or: app.post('/isc/triggers/:trigger', createTriggerMiddleware(receiver))
 */
export function createTriggerMiddleware(receiver: TriggerReceiver): TriggerMiddleware {
  // Under app.use(path, ...) Express strips the mount path from req.url; inside a route
  // (app.post(path, ...)) the route already matched, and `:trigger` names the trigger.
  const mounted = toNodeHandler(receiver)
  const mountedErrors = toNodeErrorHandler(receiver)
  const inRoute = (req: Request) => req.route !== undefined
  const param = (req: Request) => (typeof req.params.trigger === 'string' ? req.params.trigger : undefined)
  const handle: RequestHandler = (req, res, next) => {
    if (!inRoute(req)) return mounted(req, res, next)
    handleNodeRequest(receiver, req, res, { trigger: param(req) }).catch(next)
  }
  const handleError: ErrorRequestHandler = (error, req, res, next) => {
    if (!inRoute(req)) return mountedErrors(error, req, res, next)
    handleNodeRequest(receiver, req, res, { trigger: param(req), parserError: error }).catch(next)
  }
  return [handle, handleError]
}
