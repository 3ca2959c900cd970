import { TriggerConfigError, TriggerError } from '../errors.js'

/**
 * The API hosts of ISC tenants: `{tenant}.api.identitynow.com` (production),
 * `{tenant}.api.identitynow-demo.com` (demo tenants), and SailPoint's own cloud API domains. A
 * callback URL comes from the request body, so it is followed only to these hosts over https, or to
 * origins the user lists.
 */
export const ISC_API_HOST_SUFFIXES: readonly string[] = Object.freeze([
  '.api.identitynow.com',
  '.api.identitynow-demo.com',
  '.api.cloud.sailpoint.com',
  '.api.saas.sailpoint.com',
])

/** Checks `allowedCallbackOrigins` at start-up and turns them into exact origins. */
export function normaliseOrigins(origins: readonly string[] | undefined): ReadonlySet<string> {
  const out = new Set<string>()
  for (const origin of origins ?? []) {
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      throw new TriggerConfigError(`allowedCallbackOrigins: ${JSON.stringify(origin)} is not a URL origin`)
    }
    if (url.origin === 'null' || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      throw new TriggerConfigError(
        `allowedCallbackOrigins: ${JSON.stringify(origin)} must be an http(s) origin`,
      )
    out.add(url.origin)
  }
  return out
}

function refused(reason: string): TriggerError {
  return new TriggerError('INVALID_CALLBACK', `The callback URL is refused: ${reason}`)
}

/** True when every `%` escape of `path` decodes (as UTF-8): ISC never sends a URL that does not. */
function wellEncoded(path: string): boolean {
  try {
    decodeURIComponent(path)
    return true
  } catch {
    return false
  }
}

/**
 * Accepts a callback URL only over https to an ISC API host, or to an origin the user listed
 * (trusted as written, so a test may list `http://127.0.0.1:4010`). Runs before any connection is
 * made; the refusal names the rule, not the URL.
 *
 * @example
 * checkCallbackUrl('https://acme.api.identitynow.com/beta/trigger-invocations/1/complete', new Set()) // URL
 * checkCallbackUrl('http://169.254.169.254/latest/meta-data', new Set()) // throws INVALID_CALLBACK
 */
export function checkCallbackUrl(callbackURL: string, allowedOrigins: ReadonlySet<string>): URL {
  let url: URL
  try {
    url = new URL(callbackURL)
  } catch {
    throw refused('it is not a URL')
  }
  if (url.username !== '' || url.password !== '') throw refused('it carries credentials')
  if (!wellEncoded(url.pathname)) throw refused('its path is not valid percent-encoding')
  if (allowedOrigins.has(url.origin)) return url
  if (url.protocol !== 'https:') throw refused('it is not https')
  if (url.port !== '' && url.port !== '443') throw refused('it names a port other than 443')
  const host = url.hostname.toLowerCase()
  if (!ISC_API_HOST_SUFFIXES.some((suffix) => host.endsWith(suffix) && host.length > suffix.length))
    throw refused('its host is not an ISC API host (add its origin to allowedCallbackOrigins to trust it)')
  return url
}
