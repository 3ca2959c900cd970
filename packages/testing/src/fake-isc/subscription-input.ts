import { parse } from 'jsonpathly'

/** How ISC delivers to an HTTP subscription. */
export type HttpDispatchMode = 'SYNC' | 'ASYNC' | 'DYNAMIC'
/** How ISC authenticates to an HTTP subscription. */
export type HttpAuthenticationType = 'NO_AUTH' | 'BASIC_AUTH' | 'BEARER_TOKEN'

/**
 * A trigger subscription as the fake ISC stores it, secrets included (`password`, `bearerToken`).
 * The API answers it with those secrets set to `null`, as ISC does.
 *
 * @example
 * const stored: StoredSubscription = isc.subscriptions[0]!
 * stored.httpConfig?.bearerTokenAuthConfig?.bearerToken // the token last sent, never answered back
 */
export interface StoredSubscription {
  id: string
  name: string
  description?: string
  triggerId: string
  triggerName: string
  type: 'HTTP' | 'EVENTBRIDGE'
  /** ISO-8601 duration; `PT1H` when the request gave none. */
  responseDeadline: string
  httpConfig?: {
    url: string
    httpDispatchMode: HttpDispatchMode
    httpAuthenticationType: HttpAuthenticationType
    basicAuthConfig: { userName: string; password: string | null } | null
    bearerTokenAuthConfig: { bearerToken: string | null } | null
  }
  eventBridgeConfig?: { awsAccount: string; awsRegion: string }
  enabled: boolean
  filter?: string
}

/** What a subscription body becomes: the fields to store, or why it is refused. */
export type SubscriptionInput =
  | { ok: true; fields: Omit<StoredSubscription, 'id' | 'triggerName'> }
  | { ok: false; message: string }

const MODES: readonly string[] = ['SYNC', 'ASYNC', 'DYNAMIC']
const AUTH_TYPES: readonly string[] = ['NO_AUTH', 'BASIC_AUTH', 'BEARER_TOKEN']
const DURATION = /^P(?=\d|T\d)(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$/

type Fields = Record<string, unknown>

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== ''
const refuse = (message: string): SubscriptionInput => ({ ok: false, message })

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}

type HttpConfig = NonNullable<StoredSubscription['httpConfig']>

/**
 * Reads `httpConfig`. A secret left out (or `null`) keeps the one stored before, when the
 * authentication type is unchanged: clients read secrets back as `null` and send them back so.
 */
function readHttpConfig(config: unknown, before: HttpConfig | undefined): HttpConfig | string {
  if (!isObject(config)) return 'httpConfig is required for an HTTP subscription'
  if (!isText(config.url) || !isHttpUrl(config.url)) return 'httpConfig.url must be an http(s) URL'
  const mode = config.httpDispatchMode ?? 'SYNC'
  if (typeof mode !== 'string' || !MODES.includes(mode))
    return 'httpConfig.httpDispatchMode must be SYNC, ASYNC or DYNAMIC'
  const auth = config.httpAuthenticationType ?? 'NO_AUTH'
  if (typeof auth !== 'string' || !AUTH_TYPES.includes(auth))
    return 'httpConfig.httpAuthenticationType must be NO_AUTH, BASIC_AUTH or BEARER_TOKEN'
  const same = before?.httpAuthenticationType === auth
  let basicAuthConfig: HttpConfig['basicAuthConfig'] = null
  let bearerTokenAuthConfig: HttpConfig['bearerTokenAuthConfig'] = null
  if (auth === 'BASIC_AUTH') {
    const basic = isObject(config.basicAuthConfig) ? config.basicAuthConfig : {}
    const password = basic.password ?? (same ? before?.basicAuthConfig?.password : undefined)
    if (!isText(basic.userName) || !isText(password))
      return 'httpConfig.basicAuthConfig needs userName and password for BASIC_AUTH'
    basicAuthConfig = { userName: basic.userName, password }
  }
  if (auth === 'BEARER_TOKEN') {
    const bearer = isObject(config.bearerTokenAuthConfig) ? config.bearerTokenAuthConfig : {}
    const token = bearer.bearerToken ?? (same ? before?.bearerTokenAuthConfig?.bearerToken : undefined)
    if (!isText(token)) return 'httpConfig.bearerTokenAuthConfig.bearerToken is required for BEARER_TOKEN'
    bearerTokenAuthConfig = { bearerToken: token }
  }
  return {
    url: config.url,
    httpDispatchMode: mode as HttpDispatchMode,
    httpAuthenticationType: auth as HttpAuthenticationType,
    basicAuthConfig,
    bearerTokenAuthConfig,
  }
}

/** Whether `filter` is a JSONPath expression ISC's parser would accept (as far as jsonpathly can tell). */
export function isParsableFilter(filter: string): boolean {
  try {
    return parse(filter, { hideExceptions: true }) !== null
  } catch {
    return false
  }
}

/**
 * Checks a create (`SubscriptionPostRequest`) or full-update (`SubscriptionPutRequest`) body
 * against ISC's rules: `name`, `triggerId` and `type` (`HTTP` or `EVENTBRIDGE`) required; an HTTP
 * subscription needs `httpConfig.url`, an EventBridge one `eventBridgeConfig.awsAccount` and
 * `awsRegion`; `responseDeadline` an ISO-8601 duration (default `PT1H`); `enabled` a boolean
 * (default true); `filter` a parsable JSONPath expression. Whether the trigger exists is the
 * store's business.
 *
 * @example
 * readSubscription({ name: 'n', triggerId: 'idn:identity-created', type: 'HTTP', httpConfig: { url: 'https://x.example' } })
 */
export function readSubscription(body: unknown, before?: StoredSubscription): SubscriptionInput {
  if (!isObject(body)) return refuse('the body must be a JSON object')
  const { name, description, triggerId, type, responseDeadline, enabled, filter } = body
  if (!isText(name)) return refuse('name is required')
  if (description !== undefined && description !== null && typeof description !== 'string')
    return refuse('description must be a string')
  if (!isText(triggerId)) return refuse('triggerId is required')
  if (type !== 'HTTP' && type !== 'EVENTBRIDGE') return refuse('type is required: HTTP or EVENTBRIDGE')
  const deadline = responseDeadline ?? 'PT1H'
  if (typeof deadline !== 'string' || !DURATION.test(deadline))
    return refuse('responseDeadline must be an ISO-8601 duration such as PT1H')
  if (enabled !== undefined && typeof enabled !== 'boolean') return refuse('enabled must be a boolean')
  if (filter !== undefined && filter !== null && (typeof filter !== 'string' || !isParsableFilter(filter)))
    return refuse('filter must be a valid JSONPath expression')
  const fields: Omit<StoredSubscription, 'id' | 'triggerName'> = {
    name,
    triggerId,
    type,
    responseDeadline: deadline,
    enabled: enabled ?? true,
  }
  if (typeof description === 'string') fields.description = description
  if (typeof filter === 'string') fields.filter = filter
  if (type === 'HTTP') {
    const config = readHttpConfig(body.httpConfig, before?.httpConfig)
    if (typeof config === 'string') return refuse(config)
    fields.httpConfig = config
  } else {
    const config = body.eventBridgeConfig
    if (!isObject(config) || !isText(config.awsAccount) || !isText(config.awsRegion))
      return refuse('eventBridgeConfig needs awsAccount and awsRegion for an EVENTBRIDGE subscription')
    fields.eventBridgeConfig = { awsAccount: config.awsAccount, awsRegion: config.awsRegion }
  }
  return { ok: true, fields }
}

/** The subscription as the API answers it: secrets `null`. */
export function publicView(stored: StoredSubscription): StoredSubscription {
  const view = structuredClone(stored)
  if (view.httpConfig?.basicAuthConfig) view.httpConfig.basicAuthConfig.password = null
  if (view.httpConfig?.bearerTokenAuthConfig) view.httpConfig.bearerTokenAuthConfig.bearerToken = null
  return view
}
