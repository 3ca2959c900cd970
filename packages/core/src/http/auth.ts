import * as crypto from 'node:crypto'
import { TriggerConfigError, TriggerError } from '../errors.js'
import type { TriggerHeaders } from './headers.js'

/** A username and password ISC sends with HTTP Basic (`BASIC_AUTH` subscriptions). */
export interface BasicCredential {
  username: string
  password: string
}

/**
 * How deliveries are authenticated. ISC offers no signature (no HMAC): a subscription sends
 * nothing, HTTP Basic, or a static Bearer token. Several credentials may be valid at once, so a
 * secret can be rotated without downtime. `none` must be said explicitly.
 *
 * @example
 * { type: 'bearer', tokens: [process.env.ISC_TOKEN!, process.env.ISC_TOKEN_PREVIOUS!] }
 * { type: 'basic', credentials: [{ username: 'isc', password: process.env.ISC_PASSWORD! }] }
 * { type: 'custom', verify: (headers) => headers['x-api-key'] === expected }
 * { type: 'none' }
 */
export type AuthOptions =
  | { type: 'none' }
  | { type: 'bearer'; tokens: readonly string[] }
  | { type: 'basic'; credentials: readonly BasicCredential[] }
  | {
      type: 'custom'
      /** Decides from the request headers (lower-case names). Compare secrets in constant time. */
      verify: (headers: TriggerHeaders) => boolean | Promise<boolean>
      /** The `WWW-Authenticate` value of a 401; default `Bearer realm="isc-triggers"`. */
      challenge?: string
    }

/** Resolves when the request is authenticated; throws an UNAUTHORIZED {@link TriggerError}. */
export type AuthVerifier = (headers: TriggerHeaders) => void | Promise<void>

const REALM = 'realm="isc-triggers"'

/** A configured secret as the bytes a presented credential is compared with. */
function secretBytes(value: string): Buffer {
  return Buffer.from(value, 'utf8')
}

/**
 * Compares a presented credential with every configured secret in constant time: never stopping
 * at the first match, and never at the first differing byte (`timingSafeEqual`). A credential of
 * another length is compared with the secret itself instead, so it costs the same as one of the
 * right length, and `timingSafeEqual` never sees unequal lengths (it would throw).
 *
 * The secrets are not hashed first. Hashing would also hide a secret's length, but it costs about
 * 2 µs per request (measured: `handle()` of a small delivery went from about 460k to 240k per
 * second with SHA-256 on each request), and a secret's length is not what protects it.
 */
function matchesAny(presented: string | Buffer, expected: readonly Buffer[]): boolean {
  const candidate = typeof presented === 'string' ? Buffer.from(presented, 'utf8') : presented
  let match = 0
  for (const secret of expected) {
    const sameLength = candidate.byteLength === secret.byteLength
    const equal = crypto.timingSafeEqual(sameLength ? candidate : secret, secret)
    match |= equal && sameLength ? 1 : 0
  }
  return match === 1
}

/**
 * The bytes of strict base64 (RFC 4648 §4: its alphabet, the padding to a multiple of 4, nothing
 * after it, and unused bits zero, i.e. the one encoding of those bytes), or undefined.
 * `Buffer.from(text, 'base64')` alone is lenient: it skips characters outside the alphabet,
 * accepts base64url, missing or extra padding, and stops at the first "=" ignoring what follows,
 * so many different headers would decode to the same credentials.
 */
function strictBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0) return undefined
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64') === text ? bytes : undefined
}

/** Splits `Scheme credentials`, the scheme compared case-insensitively (RFC 9110 §11.1). */
function credentialsFor(header: string | undefined, scheme: string): string | undefined {
  if (!header) return undefined
  const value = header.trim()
  const space = value.indexOf(' ')
  if (space <= 0 || value.slice(0, space).toLowerCase() !== scheme) return undefined
  const credentials = value.slice(space + 1).trim()
  return credentials === '' ? undefined : credentials
}

function unauthorized(challenge: string, message: string): TriggerError {
  return new TriggerError('UNAUTHORIZED', message, { headers: { 'www-authenticate': challenge } })
}

function bearerVerifier(tokens: readonly string[]): AuthVerifier {
  if (!Array.isArray(tokens) || tokens.length === 0)
    throw new TriggerConfigError('auth.tokens must list at least one bearer token')
  for (const token of tokens) {
    if (typeof token !== 'string' || token.trim() === '' || token !== token.trim())
      throw new TriggerConfigError(
        'auth.tokens: every bearer token must be a non-empty string without surrounding white space',
      )
  }
  const expected = tokens.map(secretBytes)
  const challenge = `Bearer ${REALM}`
  return (headers) => {
    const token = credentialsFor(headers.authorization, 'bearer')
    if (token === undefined) throw unauthorized(challenge, 'Missing bearer token')
    if (!matchesAny(token, expected)) throw unauthorized(challenge, 'Invalid bearer token')
  }
}

function basicVerifier(credentials: readonly BasicCredential[]): AuthVerifier {
  if (!Array.isArray(credentials) || credentials.length === 0)
    throw new TriggerConfigError('auth.credentials must list at least one { username, password }')
  for (const { username, password } of credentials) {
    if (typeof username !== 'string' || username === '' || username.includes(':'))
      throw new TriggerConfigError('auth.credentials: a username must be non-empty and contain no ":"')
    if (typeof password !== 'string' || password === '')
      throw new TriggerConfigError('auth.credentials: a password must be a non-empty string')
  }
  // A username cannot contain ":" (RFC 7617), so "user:pass" compares both at once, and a
  // password may itself contain ":".
  const expected = credentials.map(({ username, password }) => secretBytes(`${username}:${password}`))
  const challenge = `Basic ${REALM}, charset="UTF-8"`
  return (headers) => {
    const encoded = credentialsFor(headers.authorization, 'basic')
    if (encoded === undefined) throw unauthorized(challenge, 'Missing basic credentials')
    // Anything but strict base64 is refused without comparing; the decoded bytes are compared as
    // they are (UTF-8 of the configured "user:password"), never re-encoded.
    const decoded = strictBase64(encoded)
    if (decoded === undefined || !matchesAny(decoded, expected))
      throw unauthorized(challenge, 'Invalid basic credentials')
  }
}

function customVerifier(options: Extract<AuthOptions, { type: 'custom' }>): AuthVerifier {
  if (typeof options.verify !== 'function')
    throw new TriggerConfigError('auth.verify must be a function (headers) => boolean | Promise<boolean>')
  const challenge = options.challenge ?? `Bearer ${REALM}`
  const fail = unauthorized(challenge, 'Invalid credentials')
  return (headers) => {
    const verdict = options.verify(headers)
    if (verdict === true) return
    if (verdict === false) throw fail
    return Promise.resolve(verdict).then((ok) => {
      if (ok !== true) throw fail
    })
  }
}

/**
 * Turns {@link AuthOptions} into a verifier, validating the options (a missing or empty secret
 * throws a {@link TriggerConfigError} at start-up).
 *
 * @example
 * const verify = createAuthVerifier({ type: 'bearer', tokens: ['s3cret'] })
 * verify({ authorization: 'Bearer s3cret' }) // passes; a wrong token throws UNAUTHORIZED
 */
export function createAuthVerifier(auth: AuthOptions | undefined): AuthVerifier {
  if (!auth || typeof auth !== 'object')
    throw new TriggerConfigError(
      "`auth` is required: { type: 'bearer', tokens }, { type: 'basic', credentials }, " +
        "{ type: 'custom', verify }, or { type: 'none' } to accept unauthenticated deliveries",
    )
  switch (auth.type) {
    case 'none':
      return () => {}
    case 'bearer':
      return bearerVerifier(auth.tokens)
    case 'basic':
      return basicVerifier(auth.credentials)
    case 'custom':
      return customVerifier(auth)
    default:
      throw new TriggerConfigError(
        `auth.type must be 'bearer', 'basic', 'custom' or 'none', not ${JSON.stringify((auth as { type?: unknown }).type)}`,
      )
  }
}
