import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TriggerReceiver } from '@isc-triggers/core'
import { handleNodeRequest } from '@isc-triggers/core/node'
import { TRIGGERS_ROUTE } from './triggers.constants.js'

/** The little of Express 5's router (Nest 11's platform-express) the module reads. */
interface ExpressLayer {
  handle?: { name?: string }
  route?: { stack?: { handle?: object }[]; _handlesMethod?: (method: string) => boolean }
  // router 2.3 returns what matched; router 2.2 returns true and keeps it on the layer.
  match?: (path: string) => boolean | { params?: Record<string, string> }
  params?: Record<string, string>
  path?: unknown
  keys?: unknown
}
interface ExpressApp {
  use(handler: unknown): unknown
  router?: { stack?: ExpressLayer[] }
}

/**
 * body-parser's middleware, by the names Nest itself looks for (`isMiddlewareApplied`): Nest's
 * default parser, `rawBody: true`, `app.useBodyParser()`, and `express.json()` & co. given to
 * `app.use()`.
 */
const BODY_PARSERS = new Set(['jsonParser', 'urlencodedParser', 'rawParser', 'textParser'])

/**
 * Makes the module's routes read their body under the receiver's limits. Nest registers its body
 * parser before any route, so the route alone would get a body Nest's parser already read: whole,
 * inflated from gzip, without `bodyTimeoutMs`, before authentication. Once Nest has registered its
 * routes (at `onModuleInit`, before `listen()`), this puts one handler into Express's stack just
 * before the first body parser. It answers exactly the requests Express would route to the
 * module's own routes (found by the TRIGGERS_ROUTE mark Nest copies onto their handlers, so another
 * controller's `…/<path>/:trigger` is not one): the first route whose path and method match the
 * request must be the module's, as Express would pick it. Everything else (your `GET /health` next
 * to a root mount, a route registered before the module's) goes on to `next()` and Nest's parser.
 * Without an Express router (another platform) or without marked routes, nothing changes.
 *
 * @example
 * readBeforeBodyParsers(httpAdapterHost.httpAdapter?.getInstance(), receiver)
 */
export function readBeforeBodyParsers(app: unknown, receiver: TriggerReceiver): void {
  const stack = (app as ExpressApp | undefined)?.router?.stack
  if (!Array.isArray(stack)) return
  const first = stack.findIndex(isModuleRoute)
  if (first === -1) return
  const parser = stack.findIndex((layer) => BODY_PARSERS.has(layer.handle?.name ?? ''))
  ;(app as ExpressApp).use((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    const query = req.url?.indexOf('?') ?? -1
    const path = query === -1 ? (req.url ?? '/') : (req.url ?? '/').slice(0, query)
    const routed = firstRoute(stack, path, req.method ?? 'GET')
    if (!routed || !isModuleRoute(routed.layer)) next()
    else handleNodeRequest(receiver, req, res, { trigger: routed.params.trigger }).catch(next)
  })
  const handler = stack.pop()
  if (handler) stack.splice(parser === -1 ? first : Math.min(parser, first), 0, handler)
}

/** A route of the module's controller: Nest copies a handler method's metadata onto its route. */
function isModuleRoute(layer: ExpressLayer): boolean {
  return (
    layer.route?.stack?.some(({ handle }) => handle && Reflect.getMetadata(TRIGGERS_ROUTE, handle)) ?? false
  )
}

/** The route Express would run first for this path and method, with its params. */
function firstRoute(stack: ExpressLayer[], path: string, method: string) {
  for (const layer of stack) {
    if (!layer.route?._handlesMethod?.(method) || typeof layer.match !== 'function') continue
    const { params, path: matched, keys } = layer
    try {
      const result = layer.match(path)
      if (result) return { layer, params: (typeof result === 'object' ? result.params : layer.params) ?? {} }
    } catch {
      return undefined // an undecodable parameter: Express answers it itself
    } finally {
      Object.assign(layer, { params, path: matched, keys })
    }
  }
  return undefined
}
