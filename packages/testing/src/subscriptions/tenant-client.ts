// A small client of a tenant's trigger-subscription API (/trigger-subscriptions/v1, with its
// validate-filter), with a client-credentials token from <tenant>/oauth/token.
import type { SubscriptionBody } from './config.js'
import { SubscriptionsError } from './errors.js'

/**
 * A subscription as the tenant lists it (secrets answered `null`).
 *
 * @example
 * const subscriptions: TenantSubscription[] = await tenantClient(options).list()
 */
export interface TenantSubscription {
  id: string
  name: string
  description?: string | null
  triggerId: string
  triggerName?: string
  type: string
  enabled?: boolean
  responseDeadline?: string | null
  filter?: string | null
  httpConfig?: {
    url?: string
    httpDispatchMode?: string
    httpAuthenticationType?: string
    basicAuthConfig?: { userName?: string | null } | null
  } | null
}

/**
 * The tenant's answer to `POST /trigger-subscriptions/v1/validate-filter`: `isValidJSONPath` (the
 * filter parses), `isPathExist` (it selects something in the input, so ISC would deliver the event),
 * `isValid` (the tenant accepts the filter for this input).
 *
 * @example
 * const answer: FilterValidation = await tenantClient(options).validateFilter('$.identity', input)
 * if (!answer.isValidJSONPath) console.error('ISC cannot parse the filter')
 */
export interface FilterValidation {
  isValid: boolean
  isValidJSONPath: boolean
  isPathExist: boolean
}

/**
 * Where and as whom to reach a tenant.
 *
 * @example
 * const options: TenantOptions = { tenant: 'https://acme.api.identitynow.com', clientId: 'id', clientSecret: process.env.ISC_CLIENT_SECRET! }
 */
export interface TenantOptions {
  /** The tenant's API origin, e.g. `https://acme.api.identitynow.com`. */
  tenant: string
  clientId: string
  clientSecret: string
  /** Default: the global fetch. */
  fetch?: typeof fetch
}

/**
 * The calls plan, apply and `filter validate` make.
 *
 * @example
 * const client: TenantClient = tenantClient({ tenant, clientId, clientSecret })
 * await client.remove(id)
 */
export interface TenantClient {
  readonly tenant: string
  list(): Promise<TenantSubscription[]>
  create(body: SubscriptionBody): Promise<TenantSubscription>
  replace(id: string, body: SubscriptionBody): Promise<TenantSubscription>
  remove(id: string): Promise<void>
  /** Asks the tenant whether `filter` is valid and selects something in `input`. */
  validateFilter(filter: string, input: unknown): Promise<FilterValidation>
}

const SUBSCRIPTIONS = '/trigger-subscriptions/v1'
const PAGE = 250

/**
 * A client of the tenant's trigger-subscription API. The token is fetched on the first call and
 * kept while it is valid. Unreachable tenant: an `unreachable` {@link SubscriptionsError}; a refusal
 * (401, 400, …): a `tenant` one, with ISC's messages.
 *
 * @example
 * const client = tenantClient({ tenant: 'https://acme.api.identitynow.com', clientId, clientSecret })
 * const subscriptions = await client.list()
 */
export function tenantClient(options: TenantOptions): TenantClient {
  const tenant = options.tenant.replace(/\/+$/, '')
  const doFetch = options.fetch ?? fetch
  let token: { value: string; until: number } | undefined

  async function send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await doFetch(url, init)
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code
      throw new SubscriptionsError('unreachable', `could not reach ${tenant}${code ? ` (${code})` : ''}`, {
        cause: error,
      })
    }
  }

  async function refused(what: string, response: Response): Promise<never> {
    const text = await response.text()
    let detail = ''
    try {
      const messages = (JSON.parse(text) as { messages?: unknown }).messages
      if (Array.isArray(messages))
        detail = `: ${messages.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join('; ')}`
    } catch {}
    throw new SubscriptionsError('tenant', `${what} → ${response.status}${detail}`)
  }

  async function bearer(): Promise<string> {
    if (token && token.until > Date.now()) return token.value
    const response = await send(`${tenant}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: options.clientId,
        client_secret: options.clientSecret,
      }),
    })
    if (!response.ok) await refused('the tenant refused the client credentials', response)
    const { access_token, expires_in } = (await response.json()) as {
      access_token: string
      expires_in?: number
    }
    token = { value: access_token, until: Date.now() + Math.max(0, (expires_in ?? 300) - 60) * 1000 }
    return access_token
  }

  async function call(method: string, path: string, what: string, body?: unknown): Promise<Response> {
    const response = await send(`${tenant}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await bearer()}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    if (!response.ok) await refused(what, response)
    return response
  }

  return {
    tenant,
    async list() {
      const all: TenantSubscription[] = []
      for (let offset = 0; ; offset += PAGE) {
        const response = await call(
          'GET',
          `${SUBSCRIPTIONS}?limit=${PAGE}&offset=${offset}`,
          'listing subscriptions',
        )
        const page = (await response.json()) as TenantSubscription[]
        all.push(...page)
        if (page.length < PAGE) return all
      }
    },
    async create(body) {
      const response = await call('POST', SUBSCRIPTIONS, `creating ${body.name}`, body)
      return (await response.json()) as TenantSubscription
    },
    async replace(id, body) {
      const { triggerId: _immutable, ...put } = body
      const path = `${SUBSCRIPTIONS}/${encodeURIComponent(id)}`
      const response = await call('PUT', path, `updating ${body.name} (${id})`, put)
      return (await response.json()) as TenantSubscription
    },
    async remove(id) {
      const response = await call('DELETE', `${SUBSCRIPTIONS}/${encodeURIComponent(id)}`, `deleting ${id}`)
      await response.arrayBuffer()
    },
    async validateFilter(filter, input) {
      const path = `${SUBSCRIPTIONS}/validate-filter`
      const response = await call('POST', path, 'validating the filter', { input, filter })
      const answer = (await response.json()) as Partial<FilterValidation>
      return {
        isValid: answer.isValid === true,
        isValidJSONPath: answer.isValidJSONPath === true,
        isPathExist: answer.isPathExist === true,
      }
    },
  }
}
