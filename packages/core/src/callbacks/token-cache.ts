import { discard, isRedirect, postOnce } from './http-attempt.js'

const TOKEN_MARGIN_MS = 60_000
/**
 * The lifetime assumed for a token sent without `expires_in` (RFC 6749 makes it optional): 5 min,
 * so a token is not fetched for every callback, and a token that ends sooner is caught by the
 * one fresh-token retry a 401 gets.
 */
export const DEFAULT_TOKEN_LIFETIME_MS = 300_000

/**
 * The token endpoint refused the credentials, or answered a redirect (never followed: it would
 * re-send the client secret elsewhere). Retrying cannot help.
 */
export class TokenRefused extends Error {}

interface CachedToken {
  value: string
  expiresAt: number
}

/**
 * OAuth client-credentials tokens, one cached per token URL, one request at a time per URL. The
 * client secret is sent only to the token URL, and a redirect from it is a refusal.
 *
 * @example
 * const tokens = new TokenCache('client-id', 'client-secret', 10_000)
 * const bearer = await tokens.get('https://acme.api.identitynow.com/oauth/token', false)
 */
export class TokenCache {
  readonly #tokens = new Map<string, Promise<CachedToken>>()

  constructor(
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly attemptTimeoutMs: number,
  ) {}

  /** A cached token while it is valid (`fresh`: fetch a new one anyway). */
  async get(tokenUrl: string, fresh: boolean): Promise<string> {
    let cached = fresh ? undefined : this.#tokens.get(tokenUrl)
    if (cached) {
      const settled = await cached.catch(() => undefined)
      if (!settled || settled.expiresAt <= Date.now()) cached = undefined
    }
    if (!cached) {
      cached = this.#fetch(tokenUrl)
      this.#tokens.set(tokenUrl, cached)
      const failed = cached
      cached.catch(() => {
        if (this.#tokens.get(tokenUrl) === failed) this.#tokens.delete(tokenUrl)
      })
    }
    return (await cached).value
  }

  async #fetch(tokenUrl: string): Promise<CachedToken> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.clientId,
      client_secret: this.clientSecret,
    })
    const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }
    // The time limit covers reading the body too: a token endpoint that stalls mid-body fails
    // this request within attemptTimeoutMs, so the promise cached for the URL never blocks the
    // completions waiting on it for longer than that.
    const body = await postOnce(tokenUrl, headers, form, this.attemptTimeoutMs, async (response) => {
      const status = response.status
      if (!response.ok) await discard(response)
      if (isRedirect(status))
        throw new TokenRefused(`the token endpoint answered ${status}, a redirect, which is never followed`)
      if (status >= 400 && status < 500 && status !== 429)
        throw new TokenRefused(`the token endpoint answered ${status}`)
      if (!response.ok) throw new Error(`the token endpoint answered ${status}`)
      return (await response.json()) as { access_token?: unknown; expires_in?: unknown } | null
    })
    if (typeof body?.access_token !== 'string') throw new Error('the token endpoint sent no access_token')
    const lifetimeMs =
      typeof body.expires_in === 'number' && Number.isFinite(body.expires_in)
        ? body.expires_in * 1000
        : DEFAULT_TOKEN_LIFETIME_MS
    return { value: body.access_token, expiresAt: Date.now() + Math.max(0, lifetimeMs - TOKEN_MARGIN_MS) }
  }
}
