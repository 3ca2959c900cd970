import type { IncomingMessage, ServerResponse } from 'node:http'
import { type AnyTrigger, catalog } from '@isc-triggers/core'
import { matchesFilter } from '../filters/matches-filter.js'
import { sampleInputs } from '../sample-payloads.js'
import { JSON_BODY_LIMIT, readBody, send, TOO_LARGE } from './http.js'
import { type Route, subscriptionPath, TRIGGERS_PATH } from './routes.js'
import { isParsableFilter } from './subscription-input.js'
import type { StoreAnswer, SubscriptionStore } from './subscription-store.js'

const BAD_SYNTAX = { detailCode: '400.0 Bad request syntax', messages: ['the body is not JSON'] }
const BAD_CONTENT = '400.1 Bad request content'
const JSON_PATCH = /^application\/json-patch\+json\s*(;|$)/i
const TRIGGER_FILTER = /^id eq "((?:[^"\\]|\\.)*)"$/

/** Answers 401 and gives false unless the request has a bearer token the fake issued. */
export type Authorize = (req: IncomingMessage, res: ServerResponse) => boolean

/** The request's JSON body, or undefined after answering 413 or 400. */
async function readJson(req: IncomingMessage, res: ServerResponse): Promise<{ body: unknown } | undefined> {
  const read = await readBody(req, JSON_BODY_LIMIT)
  if (!read.ok) return void send(res, 413, TOO_LARGE)
  try {
    return { body: JSON.parse(read.bytes.toString('utf8')) }
  } catch {
    return void send(res, 400, BAD_SYNTAX)
  }
}

/** A path segment decoded, or undefined when it is not valid percent-encoding (no such id, then). */
function decodedId(segment: string | undefined): string | undefined {
  try {
    return decodeURIComponent(segment ?? '')
  } catch {
    return undefined
  }
}

const answer = (res: ServerResponse, reply: StoreAnswer) => send(res, reply.status, reply.body, reply.headers)

/**
 * ISC's `validate-filter`: `{ input, filter }` (both required) → `{ isValid, isValidJSONPath,
 * isPathExist }`. `isValidJSONPath`: the filter parses; `isPathExist`: it selects something in
 * `input` (what decides whether ISC delivers); `isValid`: both. Evaluated by `matchesFilter`
 * (jsonpathly with Jayway's root-object semantics), which may still differ from ISC's Jayway.
 */
export function validateFilter(input: unknown, filter: string) {
  if (!isParsableFilter(filter)) return { isValid: false, isValidJSONPath: false, isPathExist: false }
  let matched: boolean
  try {
    matched = matchesFilter(filter, input).matched
  } catch (error) {
    if (error instanceof SyntaxError) return { isValid: false, isValidJSONPath: false, isPathExist: false }
    matched = false
  }
  return { isValid: matched, isValidJSONPath: true, isPathExist: matched }
}

/** A catalog trigger as ISC's `GET /triggers` lists it. */
function listedTrigger(trigger: AnyTrigger) {
  return {
    id: trigger.id,
    name: trigger.name,
    type: trigger.type === 'request-response' ? 'REQUEST_RESPONSE' : 'FIRE_AND_FORGET',
    description: trigger.name,
    exampleInput: (sampleInputs as Record<string, unknown>)[trigger.id] ?? null,
  }
}

/**
 * The routes of ISC's trigger-subscription API (list, create, get, put, patch, delete,
 * validate-filter) and trigger list, every one behind `authorize`.
 */
export function subscriptionRoutes(store: SubscriptionStore, authorize: Authorize): Route[] {
  const guarded =
    (handle: (req: IncomingMessage, res: ServerResponse, id: string, url: URL) => Promise<void> | void) =>
    (req: IncomingMessage, res: ServerResponse, params: string[], url: URL) => {
      if (!authorize(req, res)) return void req.resume()
      const id = decodedId(params[0])
      if (id === undefined) {
        req.resume()
        return send(res, 404, { detailCode: '404 Not found', messages: ['no subscription with that id'] })
      }
      return handle(req, res, id, url)
    }
  const withBody = (act: (id: string, body: unknown) => StoreAnswer) =>
    guarded(async (req, res, id) => {
      const read = await readJson(req, res)
      if (read) answer(res, act(id, read.body))
    })
  const withoutBody = (act: (id: string, url: URL) => StoreAnswer) =>
    guarded((req, res, id, url) => {
      req.resume()
      answer(res, act(id, url))
    })

  const onValidateFilter = guarded(async (req, res) => {
    const read = await readJson(req, res)
    if (!read) return
    const { input, filter } = (read.body ?? {}) as { input?: unknown; filter?: unknown }
    if (typeof input !== 'object' || input === null || typeof filter !== 'string')
      return send(res, 400, {
        detailCode: BAD_CONTENT,
        messages: ['input (an object) and filter (a string) are required'],
      })
    send(res, 200, validateFilter(input, filter))
  })

  /** PATCH takes `application/json-patch+json` only, as ISC's spec declares; another type gets 415. */
  const onPatch = guarded(async (req, res, id) => {
    if (!JSON_PATCH.test(req.headers['content-type'] ?? '')) {
      req.resume()
      return send(res, 415, {
        detailCode: '415 Unsupported media type',
        messages: ['a PATCH body is application/json-patch+json'],
      })
    }
    const read = await readJson(req, res)
    if (read) answer(res, store.patch(id, read.body))
  })

  const onTriggers = withoutBody((_id, url) => {
    const filters = url.searchParams.get('filters')?.trim()
    const match = filters ? TRIGGER_FILTER.exec(filters) : null
    if (filters && !match)
      return {
        status: 400,
        body: { detailCode: BAD_CONTENT, messages: ['unsupported filter: use id eq "..."'] },
      }
    const wanted = match?.[1]?.replace(/\\(.)/g, '$1')
    const triggers = (Object.values(catalog) as AnyTrigger[]).filter(
      (t) => wanted === undefined || t.id === wanted,
    )
    const limit = Number(url.searchParams.get('limit') ?? 250)
    const offset = Number(url.searchParams.get('offset') ?? 0)
    if (!Number.isInteger(limit) || limit < 0 || limit > 250 || !Number.isInteger(offset) || offset < 0)
      return {
        status: 400,
        body: { detailCode: BAD_CONTENT, messages: ['limit must be 0..250, offset ≥ 0'] },
      }
    return { status: 200, body: triggers.slice(offset, offset + limit).map(listedTrigger) }
  })

  return [
    { method: 'GET', path: TRIGGERS_PATH, handle: onTriggers },
    { method: 'POST', path: subscriptionPath('/validate-filter'), handle: onValidateFilter },
    {
      method: 'GET',
      path: subscriptionPath(''),
      handle: withoutBody((_id, url) => store.list(url.searchParams)),
    },
    { method: 'POST', path: subscriptionPath(''), handle: withBody((_id, body) => store.create(body)) },
    { method: 'GET', path: subscriptionPath('/([^/]+)'), handle: withoutBody((id) => store.get(id)) },
    {
      method: 'PUT',
      path: subscriptionPath('/([^/]+)'),
      handle: withBody((id, body) => store.replace(id, body)),
    },
    { method: 'PATCH', path: subscriptionPath('/([^/]+)'), handle: onPatch },
    { method: 'DELETE', path: subscriptionPath('/([^/]+)'), handle: withoutBody((id) => store.remove(id)) },
  ]
}
