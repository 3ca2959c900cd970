import type { TriggerReceiver } from '@isc-triggers/core'
import { receiveNodeRequest, triggerSegment } from '@isc-triggers/core/node'
import type { Middleware } from 'koa'

/** Options of the Koa middleware: only where it is mounted, when used with `app.use`. */
export interface KoaTriggerMiddlewareOptions {
  /**
   * The mount path for `app.use(createTriggerMiddleware(receiver, { path }))`: POST
   * `<path>/<trigger>` is handled, anything else goes to `next()`. Not needed on a `@koa/router`
   * route, where the route's `:trigger` parameter names the trigger.
   */
  path?: string
}

/**
 * Koa middleware that receives ISC trigger deliveries with a receiver from `@isc-triggers/core`,
 * as a `@koa/router` route (`router.post('/isc/triggers/:trigger', ...)`) or mounted with
 * `app.use(createTriggerMiddleware(receiver, { path: '/isc/triggers' }))`. Koa 2 and 3.
 *
 * It reads the body itself, and also works after `@koa/bodyparser` (it uses `ctx.request.body`).
 *
 * @example
 * const router = new Router()
 * router.post('/isc/triggers/:trigger', createTriggerMiddleware(receiver))
 * app.use(router.routes())
 */
export function createTriggerMiddleware(
  receiver: TriggerReceiver,
  options: KoaTriggerMiddlewareOptions = {},
): Middleware {
  const path = options.path ?? '/'
  return async (ctx, next) => {
    // On a @koa/router route, ctx.params is set and the route already matched.
    const params: Record<string, string> | undefined = (ctx as { params?: Record<string, string> }).params
    const trigger = params ? params.trigger : triggerSegment(ctx.url, path)
    if (!params && trigger === undefined) return next()
    const reply = await receiveNodeRequest(receiver, ctx.req, {
      trigger: trigger === '' ? undefined : trigger,
      parsed: ctx.request as { rawBody?: unknown; body?: unknown },
    })
    ctx.status = reply.status
    ctx.set(reply.headers)
    ctx.body = reply.body
  }
}
