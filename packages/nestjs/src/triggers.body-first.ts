import { type TriggerReceiver, toNodeHandler } from '@isc-triggers/core'

/** The little of Express 5's app and router (Nest 11's platform-express) the module reads. */
interface ExpressLayer {
  handle?: { name?: string }
  route?: { path?: unknown }
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
const PARAM = '/:trigger'

/**
 * Makes the module's routes read their body under the receiver's limits. Nest registers its body
 * parser before any route, so the route alone would get a body Nest's parser already read: whole,
 * inflated from gzip, without `bodyTimeoutMs`, before authentication. Once Nest has registered its
 * routes (at `onModuleInit`, before `listen()`), this puts a handler for each path the module's
 * routes were mounted at (under the global prefix and any version) into Express's stack just before
 * the first body parser. The controller's routes stay as they are and answer only what it passes on
 * (a path in another letter case, as Express routes ignore case). Without an Express router
 * (another platform), nothing changes.
 *
 * @example
 * readBeforeBodyParsers(httpAdapterHost.httpAdapter?.getInstance(), receiver, 'isc/triggers')
 */
export function readBeforeBodyParsers(app: unknown, receiver: TriggerReceiver, path: string): void {
  const stack = (app as ExpressApp | undefined)?.router?.stack
  if (!Array.isArray(stack)) return
  const mounted = `/${path.replace(/^\/+|\/+$/g, '')}${PARAM}`.replace(/^\/\//, '/')
  const bases = new Set<string>()
  for (const layer of stack) {
    const routePath = layer.route?.path
    if (typeof routePath === 'string' && routePath.endsWith(mounted))
      bases.add(routePath.slice(0, -PARAM.length))
  }
  for (const base of bases) {
    const parser = stack.findIndex((layer) => BODY_PARSERS.has(layer.handle?.name ?? ''))
    const route = stack.findIndex((layer) => layer.route?.path === `${base}${PARAM}`)
    ;(app as ExpressApp).use(toNodeHandler(receiver, { path: base }))
    const handler = stack.pop()
    if (handler) stack.splice(parser === -1 ? route : Math.min(parser, route), 0, handler)
  }
}
