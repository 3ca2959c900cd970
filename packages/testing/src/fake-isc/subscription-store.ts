import { randomUUID } from 'node:crypto'
import { type AnyTrigger, catalog } from '@isc-triggers/core'
import { applyPatch } from './json-patch.js'
import { publicView, readSubscription, type StoredSubscription } from './subscription-input.js'

/** Members of a subscription a JSON patch may change (ISC's list; `id` and `triggerId` are immutable). */
const PATCHABLE = [
  'name',
  'description',
  'enabled',
  'type',
  'filter',
  'responseDeadline',
  'httpConfig',
  'eventBridgeConfig',
]
/** ISC's limit of subscriptions to one fire-and-forget trigger (request-response: exactly one). */
const FIRE_AND_FORGET_LIMIT = 50
const MAX_LIMIT = 250
const FILTER = /^(id|triggerId|type) eq "((?:[^"\\]|\\.)*)"$/
const SORTERS = ['triggerId', 'triggerName']

/** An answer of the store: the status and body the API gives (body absent for 204). */
export interface StoreAnswer {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

const refused = (message: string): StoreAnswer => ({
  status: 400,
  body: { detailCode: '400.1 Bad request content', messages: [message] },
})
const notFound = (id: string): StoreAnswer => ({
  status: 404,
  body: { detailCode: '404 Not found', messages: [`no subscription with id ${JSON.stringify(id)}`] },
})

function triggerOf(id: string): AnyTrigger | undefined {
  return Object.hasOwn(catalog, id) ? (catalog as Record<string, AnyTrigger>)[id] : undefined
}

function count(text: string | null, fallback: number, max: number): number | undefined {
  if (text === null) return fallback
  const value = Number(text)
  return Number.isInteger(value) && value >= 0 && value <= max ? value : undefined
}

/**
 * The fake ISC's trigger subscriptions, one store for every API prefix, with ISC's rules: an
 * unknown trigger, invalid fields, a second subscription to a request-response trigger (or a 51st
 * to a fire-and-forget one) and a change of `id` or `triggerId` are refused with 400.
 */
export function createSubscriptionStore() {
  const byId = new Map<string, StoredSubscription>()

  /** Refuses a subscription over the trigger's limit (`exceptId`: the one being updated). */
  function overLimit(trigger: AnyTrigger, exceptId?: string): string | undefined {
    const existing = [...byId.values()].filter((s) => s.triggerId === trigger.id && s.id !== exceptId)
    if (trigger.type === 'request-response' && existing.length >= 1)
      return `trigger ${trigger.id} is a REQUEST_RESPONSE trigger and already has a subscription (${existing[0]!.id}); only one is allowed`
    if (existing.length >= FIRE_AND_FORGET_LIMIT)
      return `trigger ${trigger.id} already has ${FIRE_AND_FORGET_LIMIT} subscriptions, the most allowed`
    return undefined
  }

  /** Validates `body` as the new state of subscription `id` (new when `before` is absent). */
  function save(id: string, body: unknown, before?: StoredSubscription): StoreAnswer {
    const input = readSubscription(body, before)
    if (!input.ok) return refused(input.message)
    if (before && input.fields.triggerId !== before.triggerId) return refused('triggerId cannot be changed')
    const trigger = triggerOf(input.fields.triggerId)
    if (!trigger) return refused(`unknown trigger ${JSON.stringify(input.fields.triggerId)}`)
    const limit = before ? undefined : overLimit(trigger)
    if (limit) return refused(limit)
    const stored: StoredSubscription = { id, ...input.fields, triggerName: trigger.name }
    byId.set(id, stored)
    return { status: before ? 200 : 201, body: publicView(stored) }
  }

  return {
    /** The stored subscriptions (secrets included), oldest first; a copy. */
    all: (): StoredSubscription[] => structuredClone([...byId.values()]),

    create: (body: unknown): StoreAnswer => save(randomUUID(), body),

    get(id: string): StoreAnswer {
      const stored = byId.get(id)
      return stored ? { status: 200, body: publicView(stored) } : notFound(id)
    },

    /**
     * PUT: a full update (`SubscriptionPutRequest` has no `triggerId`; one given must be the same,
     * and so must an `id`).
     */
    replace(id: string, body: unknown): StoreAnswer {
      const before = byId.get(id)
      if (!before) return notFound(id)
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return refused('the body must be a JSON object')
      const given = body as { id?: unknown; triggerId?: unknown }
      if (given.id !== undefined && given.id !== id) return refused('id cannot be changed')
      if (given.triggerId !== undefined && given.triggerId !== before.triggerId)
        return refused('triggerId cannot be changed')
      return save(id, { ...body, triggerId: before.triggerId }, before)
    },

    /** PATCH: a JSON patch on the patchable members. */
    patch(id: string, operations: unknown): StoreAnswer {
      const before = byId.get(id)
      if (!before) return notFound(id)
      const { id: _id, triggerName: _name, ...document } = structuredClone(before)
      const patched = applyPatch(document, operations, PATCHABLE)
      if (!patched.ok) return refused(patched.message)
      return save(id, patched.document, before)
    },

    remove(id: string): StoreAnswer {
      return byId.delete(id) ? { status: 204 } : notFound(id)
    },

    /**
     * The list, with ISC's query parameters: `limit` (≤ 250), `offset`, `count=true` (sets
     * `X-Total-Count`), `filters` (`id eq`, `triggerId eq`, `type eq`, joined by `and`) and
     * `sorters` (`triggerId`, `triggerName`, `-` for descending, comma-separated).
     */
    list(query: URLSearchParams): StoreAnswer {
      const limit = count(query.get('limit'), MAX_LIMIT, MAX_LIMIT)
      const offset = count(query.get('offset'), 0, Number.MAX_SAFE_INTEGER)
      if (limit === undefined || offset === undefined)
        return refused(`limit must be 0..${MAX_LIMIT} and offset a whole number`)
      const terms: { field: 'id' | 'triggerId' | 'type'; value: string }[] = []
      const filters = query.get('filters')?.trim()
      for (const term of filters ? filters.split(/\s+and\s+/i) : []) {
        const match = FILTER.exec(term)
        if (!match) return refused(`unsupported filter "${term}": use id, triggerId or type eq "..."`)
        terms.push({ field: match[1] as 'id', value: match[2]!.replace(/\\(.)/g, '$1') })
      }
      const sorters = (query.get('sorters') ?? '').split(',').filter((s) => s.trim() !== '')
      for (const sorter of sorters)
        if (!SORTERS.includes(sorter.trim().replace(/^-/, '')))
          return refused(`unsupported sorter "${sorter}": use triggerId or triggerName`)
      const matching = [...byId.values()].filter((s) => terms.every((t) => s[t.field] === t.value))
      for (const sorter of [...sorters].reverse()) {
        const field = sorter.trim().replace(/^-/, '') as 'triggerId' | 'triggerName'
        const sign = sorter.trim().startsWith('-') ? -1 : 1
        matching.sort((a, b) => sign * a[field].localeCompare(b[field]))
      }
      const total = query.get('count') === 'true' ? { 'x-total-count': String(matching.length) } : undefined
      return {
        status: 200,
        body: matching.slice(offset, offset + limit).map(publicView),
        ...(total ? { headers: total } : {}),
      }
    },
  }
}

/** The fake's subscription store. */
export type SubscriptionStore = ReturnType<typeof createSubscriptionStore>
