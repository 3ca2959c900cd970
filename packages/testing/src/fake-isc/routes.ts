import type { IncomingMessage, ServerResponse } from 'node:http'

/** What a route handler gets: the request, the response, the path's captures and the full URL. */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: string[],
  url: URL,
) => Promise<void> | void

/** One line of the route table: a method, an anchored path pattern, a handler. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: RegExp
  handle: RouteHandler
}

/**
 * The prefixes ISC serves the trigger-invocation API under: year-versioned (`/beta`, `/v2024`,
 * and the later `/v2025`, `/v2026`) and per-resource (`/trigger-invocations/v1`).
 */
const INVOCATIONS = String.raw`(?:/(?:beta|v\d{4})/trigger-invocations|/trigger-invocations/v1)`

/** A path pattern under every trigger-invocation prefix, e.g. `invocationPath('/([^/]+)/complete')`. */
export function invocationPath(rest: string): RegExp {
  return new RegExp(`^${INVOCATIONS}${rest}$`)
}

/** The prefixes of the trigger-subscription API: `/beta`, `/v2024`… and `/trigger-subscriptions/v1`. */
const SUBSCRIPTIONS = String.raw`(?:/(?:beta|v\d{4})/trigger-subscriptions|/trigger-subscriptions/v1)`

/** A path pattern under every trigger-subscription prefix, e.g. `subscriptionPath('/([^/]+)')`. */
export function subscriptionPath(rest: string): RegExp {
  return new RegExp(`^${SUBSCRIPTIONS}${rest}$`)
}

/** The trigger list's paths: `/beta/triggers`, `/v2024/triggers`… and `/triggers/v1`. */
export const TRIGGERS_PATH = /^(?:\/(?:beta|v\d{4})\/triggers|\/triggers\/v1)$/

/** What the table says about a request: a handler, the methods the path allows, or nothing. */
export type RouteMatch =
  | { kind: 'found'; handle: RouteHandler; params: string[] }
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' }

/** Looks a request up in the table; the first line whose method and path match wins. */
export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  const allow: string[] = []
  for (const route of routes) {
    const match = route.path.exec(path)
    if (!match) continue
    if (route.method === method) return { kind: 'found', handle: route.handle, params: match.slice(1) }
    allow.push(route.method)
  }
  return allow.length > 0 ? { kind: 'method', allow } : { kind: 'none' }
}
