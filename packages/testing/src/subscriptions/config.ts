// The subscriptions file (DESIGN.md "Subscriptions as code"): reading, checking, and resolving it
// against the environment into the subscriptions a tenant should have.
import { readFileSync } from 'node:fs'
import { type AnyTrigger, catalog } from '@isc-triggers/core'
import { isParsableFilter } from '../fake-isc/subscription-input.js'
import { credentialsHash, managedDescription } from './credentials.js'
import { SubscriptionsError } from './errors.js'

/**
 * How ISC authenticates to the service; secrets are named by env var, never written in the file.
 *
 * @example
 * const auth: SubscriptionAuth = { type: 'bearer', tokenEnv: 'ISC_TOKEN' }
 */
export type SubscriptionAuth =
  | { type: 'bearer'; tokenEnv: string }
  | { type: 'basic'; usernameEnv: string; passwordEnv: string }
  | { type: 'none' }

/**
 * One subscription of the file.
 *
 * @example
 * const entry: SubscriptionEntry = { trigger: 'idn:access-request-pre-approval', mode: 'async', auth: { type: 'none' } }
 */
export interface SubscriptionEntry {
  /** `idn:identity-created` (or `identity-created`). */
  trigger: string
  auth: SubscriptionAuth
  /** Its name on the tenant is `isc-triggers:<name>`; default the trigger id. Needed to tell two subscriptions to one trigger apart. */
  name?: string
  /** Request-response triggers only: `sync` (default), `async` or `dynamic`. */
  mode?: 'sync' | 'async' | 'dynamic'
  /** ISO-8601 duration, default `PT1H`. */
  responseDeadline?: string
  /** A Jayway JSONPath filter. */
  filter?: string
  /** Default true. */
  enabled?: boolean
}

/**
 * The subscriptions file (JSON).
 *
 * @example
 * const file: SubscriptionsFile = { baseUrl: 'https://hooks.example/isc/triggers', subscriptions: [{ trigger: 'idn:identity-created', auth: { type: 'none' } }] }
 */
export interface SubscriptionsFile {
  /** Where the receiver is mounted; each subscription's URL is `baseUrl/<trigger id without idn:>`. */
  baseUrl: string
  subscriptions: SubscriptionEntry[]
}

/**
 * A subscription as isc-triggers creates or replaces it (secrets included: never print it).
 *
 * @example
 * const [first] = resolveSubscriptions(file, process.env)
 * first!.body.httpConfig.url // 'https://hooks.example/isc/triggers/identity-created'
 */
export interface SubscriptionBody {
  name: string
  description: string
  triggerId: string
  type: 'HTTP'
  enabled: boolean
  responseDeadline: string
  filter?: string
  httpConfig: {
    url: string
    httpDispatchMode: 'SYNC' | 'ASYNC' | 'DYNAMIC'
    httpAuthenticationType: 'NO_AUTH' | 'BASIC_AUTH' | 'BEARER_TOKEN'
    basicAuthConfig: { userName: string; password: string } | null
    bearerTokenAuthConfig: { bearerToken: string } | null
  }
}

/**
 * A subscription the tenant should have: the body to send and the trigger's type.
 *
 * @example
 * const desired: DesiredSubscription[] = readSubscriptionsConfig('isc-triggers.subscriptions.json')
 */
export interface DesiredSubscription {
  triggerId: string
  triggerType: AnyTrigger['type']
  body: SubscriptionBody
}

/**
 * The prefix of the name of every subscription isc-triggers manages; others are never touched.
 *
 * @example
 * `${MANAGED_PREFIX}idn:identity-created` // the default name of a subscription to idn:identity-created
 */
export const MANAGED_PREFIX = 'isc-triggers:'

/**
 * Whether a tenant's subscription is one isc-triggers manages: its name starts with `isc-triggers:`.
 *
 * @example
 * isManaged({ name: 'isc-triggers:idn:identity-created' }) // true
 */
export function isManaged(subscription: { name?: string | null }): boolean {
  return typeof subscription.name === 'string' && subscription.name.startsWith(MANAGED_PREFIX)
}

const DURATION = /^P(?=\d|T\d)(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$/
const ENTRY_KEYS = ['trigger', 'auth', 'name', 'mode', 'responseDeadline', 'filter', 'enabled']
const MODES = { sync: 'SYNC', async: 'ASYNC', dynamic: 'DYNAMIC' } as const

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const fail = (message: string): never => {
  throw new SubscriptionsError('config', message)
}

function checkUrl(text: unknown): string {
  try {
    if (typeof text === 'string' && /^https?:$/.test(new URL(text).protocol)) return text.replace(/\/+$/, '')
  } catch {}
  return fail('baseUrl must be an http(s) URL')
}

function findTrigger(where: string, id: unknown): AnyTrigger {
  if (typeof id !== 'string' || id === '') return fail(`${where}: trigger is required`)
  const all = catalog as Record<string, AnyTrigger>
  const found = Object.hasOwn(all, id)
    ? all[id]
    : Object.hasOwn(all, `idn:${id}`)
      ? all[`idn:${id}`]
      : undefined
  return found ?? fail(`${where}: unknown trigger "${id}" (run 'isc-triggers list')`)
}

function secret(where: string, env: Record<string, string | undefined>, key: string, name: unknown): string {
  if (typeof name !== 'string' || name === '') return fail(`${where}: auth.${key} must name an env var`)
  const value = env[name]
  return value ? value : fail(`${where}: env var ${name} (auth.${key}) is not set`)
}

/** The httpConfig credentials of an entry, and the hash of the secret. */
function credentials(where: string, name: string, auth: unknown, env: Record<string, string | undefined>) {
  if (!isObject(auth)) return fail(`${where}: auth is required: { "type": "bearer" | "basic" | "none", ... }`)
  if (auth.type === 'bearer') {
    const token = secret(where, env, 'tokenEnv', auth.tokenEnv)
    return {
      auth: {
        httpAuthenticationType: 'BEARER_TOKEN' as const,
        basicAuthConfig: null,
        bearerTokenAuthConfig: { bearerToken: token },
      },
      hash: credentialsHash(name, 'bearer', token),
    }
  }
  if (auth.type === 'basic') {
    const userName = secret(where, env, 'usernameEnv', auth.usernameEnv)
    const password = secret(where, env, 'passwordEnv', auth.passwordEnv)
    return {
      auth: {
        httpAuthenticationType: 'BASIC_AUTH' as const,
        basicAuthConfig: { userName, password },
        bearerTokenAuthConfig: null,
      },
      hash: credentialsHash(name, 'basic', `${userName}:${password}`),
    }
  }
  if (auth.type === 'none')
    return {
      auth: {
        httpAuthenticationType: 'NO_AUTH' as const,
        basicAuthConfig: null,
        bearerTokenAuthConfig: null,
      },
      hash: undefined,
    }
  return fail(`${where}: auth.type must be bearer, basic or none`)
}

function resolveEntry(
  index: number,
  entry: unknown,
  baseUrl: string,
  env: Record<string, string | undefined>,
): DesiredSubscription {
  let where = `subscriptions[${index}]`
  if (!isObject(entry)) return fail(`${where} must be an object`)
  const unknown = Object.keys(entry).filter((key) => !ENTRY_KEYS.includes(key))
  if (unknown.length > 0) fail(`${where}: unknown field ${unknown.join(', ')}`)
  const trigger = findTrigger(where, entry.trigger)
  where = `${where} (${trigger.id})`
  if (entry.name !== undefined && (typeof entry.name !== 'string' || entry.name.trim() === ''))
    fail(`${where}: name must be a non-empty string`)
  const name = `${MANAGED_PREFIX}${(entry.name as string | undefined) ?? trigger.id}`
  const mode = entry.mode ?? 'sync'
  if (typeof mode !== 'string' || !Object.hasOwn(MODES, mode))
    fail(`${where}: mode must be sync, async or dynamic`)
  if (mode !== 'sync' && trigger.type !== 'request-response')
    fail(`${where}: mode ${mode} is for request-response triggers; ${trigger.id} is fire-and-forget`)
  const deadline = entry.responseDeadline ?? 'PT1H'
  if (typeof deadline !== 'string' || !DURATION.test(deadline))
    fail(`${where}: responseDeadline must be an ISO-8601 duration such as PT1H`)
  if (entry.filter !== undefined && (typeof entry.filter !== 'string' || !isParsableFilter(entry.filter)))
    fail(`${where}: filter is not a JSONPath expression (try 'isc-triggers filter check')`)
  if (entry.enabled !== undefined && typeof entry.enabled !== 'boolean')
    fail(`${where}: enabled must be true or false`)
  const { auth, hash } = credentials(where, name, entry.auth, env)
  return {
    triggerId: trigger.id,
    triggerType: trigger.type,
    body: {
      name,
      description: managedDescription(hash),
      triggerId: trigger.id,
      type: 'HTTP',
      enabled: (entry.enabled as boolean | undefined) ?? true,
      responseDeadline: deadline as string,
      ...(entry.filter !== undefined ? { filter: entry.filter as string } : {}),
      httpConfig: {
        url: `${baseUrl}/${trigger.id.replace(/^idn:/, '')}`,
        httpDispatchMode: MODES[mode as keyof typeof MODES],
        ...auth,
      },
    },
  }
}

/**
 * Checks a parsed subscriptions file and resolves it against `env` (the secrets' env vars): the
 * subscriptions the tenant should have. Throws a `config` {@link SubscriptionsError} for an
 * unknown trigger or field, a missing env var, two subscriptions with one name, or a second
 * subscription to a request-response trigger (ISC allows exactly one).
 *
 * @example
 * const desired = resolveSubscriptions(JSON.parse(readFileSync('subs.json', 'utf8')), process.env)
 */
export function resolveSubscriptions(
  file: unknown,
  env: Record<string, string | undefined> = process.env,
): DesiredSubscription[] {
  if (!isObject(file)) return fail('the subscriptions file must hold a JSON object')
  const baseUrl = checkUrl(file.baseUrl)
  if (!Array.isArray(file.subscriptions)) return fail('subscriptions must be an array')
  const desired = file.subscriptions.map((entry, index) => resolveEntry(index, entry, baseUrl, env))
  const names = new Set<string>()
  const requestResponse = new Set<string>()
  for (const { body, triggerId, triggerType } of desired) {
    if (names.has(body.name))
      fail(`two subscriptions are named "${body.name}": give each subscription to ${triggerId} its own name`)
    names.add(body.name)
    if (triggerType === 'request-response' && requestResponse.has(triggerId))
      fail(
        `${triggerId} is a request-response trigger: ISC allows exactly one subscription to it, the file has more`,
      )
    requestResponse.add(triggerId)
  }
  return desired
}

/**
 * Reads a subscriptions file (JSON) and resolves it with {@link resolveSubscriptions}.
 *
 * @example
 * const desired = readSubscriptionsConfig('isc-triggers.subscriptions.json')
 */
export function readSubscriptionsConfig(
  path: string,
  env: Record<string, string | undefined> = process.env,
): DesiredSubscription[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return fail(`cannot read the subscriptions file ${path}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return fail(`the subscriptions file ${path} is not JSON`)
  }
  return resolveSubscriptions(parsed, env)
}
