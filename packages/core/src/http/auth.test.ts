import * as crypto from 'node:crypto'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { TriggerConfigError, TriggerError } from '../errors.js'
import { type AuthOptions, createAuthVerifier } from './auth.js'

// Pass-through, so the tests can see every comparison the verifier makes.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) }
})

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64')

async function verdict(
  auth: AuthOptions,
  authorization: string | undefined,
  extra: Record<string, string> = {},
) {
  const verify = createAuthVerifier(auth)
  try {
    await verify({ authorization, ...extra })
    return 'ok'
  } catch (error) {
    expect(error).toBeInstanceOf(TriggerError)
    expect((error as TriggerError).code).toBe('UNAUTHORIZED')
    return 'denied'
  }
}

const bearerAuth: AuthOptions = { type: 'bearer', tokens: ['alpha-token', 'beta-token'] }
const basicAuth: AuthOptions = {
  type: 'basic',
  credentials: [
    { username: 'isc', password: 'p:a:ss' },
    { username: 'isc2', password: 'second' },
  ],
}

describe('createAuthVerifier', () => {
  it.each([
    ['bearer: the first token', bearerAuth, 'Bearer alpha-token', 'ok'],
    ['bearer: a rotated second token', bearerAuth, 'Bearer beta-token', 'ok'],
    ['bearer: scheme in any case, extra spaces', bearerAuth, '  BEARER   alpha-token ', 'ok'],
    ['bearer: wrong token', bearerAuth, 'Bearer alpha-tokenX', 'denied'],
    ['bearer: a prefix of a token', bearerAuth, 'Bearer alpha', 'denied'],
    ['bearer: missing header', bearerAuth, undefined, 'denied'],
    ['bearer: scheme only', bearerAuth, 'Bearer', 'denied'],
    ['bearer: Basic scheme instead', bearerAuth, `Basic ${b64('alpha-token')}`, 'denied'],
    ['basic: a password containing ":"', basicAuth, `Basic ${b64('isc:p:a:ss')}`, 'ok'],
    ['basic: the second credential', basicAuth, `basic ${b64('isc2:second')}`, 'ok'],
    ['basic: one user with the other password', basicAuth, `Basic ${b64('isc:second')}`, 'denied'],
    ['basic: a truncated password', basicAuth, `Basic ${b64('isc:p:a')}`, 'denied'],
    ['basic: no colon at all', basicAuth, `Basic ${b64('iscp:a:ss')}`, 'denied'],
    ['basic: not base64', basicAuth, 'Basic %%%', 'denied'],
    ['basic: Bearer scheme instead', basicAuth, 'Bearer isc:p:a:ss', 'denied'],
    ['none: anything', { type: 'none' } as AuthOptions, undefined, 'ok'],
  ] as const)('%s', async (_name, auth, header, expected) => {
    expect(await verdict(auth, header)).toBe(expected)
  })

  it('custom: sync and async verdicts, and the configured challenge', async () => {
    const sync: AuthOptions = { type: 'custom', verify: (headers) => headers['x-key'] === 'k' }
    expect(await verdict(sync, undefined, { 'x-key': 'k' })).toBe('ok')
    expect(await verdict(sync, undefined, { 'x-key': 'nope' })).toBe('denied')
    const asyncAuth: AuthOptions = { type: 'custom', verify: async (headers) => headers['x-key'] === 'k' }
    expect(await verdict(asyncAuth, undefined, { 'x-key': 'k' })).toBe('ok')
    expect(await verdict(asyncAuth, undefined, {})).toBe('denied')
    const verify = createAuthVerifier({ type: 'custom', verify: () => false, challenge: 'ApiKey realm="x"' })
    expect(() => verify({})).toThrow(
      expect.objectContaining({ headers: { 'www-authenticate': 'ApiKey realm="x"' } }),
    )
  })

  it('a 401 carries a challenge naming the scheme and never the secret', () => {
    const verify = createAuthVerifier(bearerAuth)
    try {
      verify({ authorization: 'Bearer wrong' })
      expect.unreachable()
    } catch (error) {
      const e = error as TriggerError
      expect(e.headers).toEqual({ 'www-authenticate': 'Bearer realm="isc-triggers"' })
      expect(`${e.message}`).not.toMatch(/wrong|alpha/)
    }
  })

  it.each([
    ['no auth at all', undefined],
    ['an unknown type', { type: 'hmac' }],
    ['no bearer tokens', { type: 'bearer', tokens: [] }],
    ['an empty bearer token', { type: 'bearer', tokens: [''] }],
    ['a bearer token with spaces around it', { type: 'bearer', tokens: [' t '] }],
    ['no basic credentials', { type: 'basic', credentials: [] }],
    ['a username with ":"', { type: 'basic', credentials: [{ username: 'a:b', password: 'c' }] }],
    ['an empty password', { type: 'basic', credentials: [{ username: 'a', password: '' }] }],
    ['a custom verify that is not a function', { type: 'custom', verify: true }],
  ])('refuses a configuration with %s', (_name, auth) => {
    expect(() => createAuthVerifier(auth as AuthOptions)).toThrow(TriggerConfigError)
  })

  it('accepts a match on any of many tokens', () => {
    const tokens = Array.from({ length: 50 }, (_, i) => `token-${i}`)
    const verify = createAuthVerifier({ type: 'bearer', tokens })
    expect(() => verify({ authorization: 'Bearer token-49' })).not.toThrow()
    expect(() => verify({ authorization: 'Bearer token-50' })).toThrow(TriggerError)
  })

  describe('compares in constant time', () => {
    const compare = vi.mocked(crypto.timingSafeEqual)
    beforeEach(() => {
      compare.mockClear() // (returning the mock would make vitest call it as a teardown)
    })

    it.each([
      ['the first token matches', 'Bearer alpha-token'],
      ['the second token matches', 'Bearer beta-token'],
      ['nothing matches, same length', 'Bearer alpha-tokeX'],
      ['nothing matches, another length', 'Bearer a'],
    ])('with timingSafeEqual against every configured token when %s', async (_name, header) => {
      await verdict(bearerAuth, header)
      expect(compare).toHaveBeenCalledTimes(2)
      // Every comparison is between equal lengths, whatever was presented.
      for (const [a, b] of compare.mock.calls) expect(a.byteLength).toBe(b.byteLength)
    })

    it('with timingSafeEqual for basic credentials too', async () => {
      await verdict(basicAuth, `Basic ${b64('isc:p:a:sX')}`)
      expect(compare).toHaveBeenCalledTimes(2)
    })

    it("of the secrets' own bytes; a credential of another length is compared as the secret itself", async () => {
      expect(await verdict(bearerAuth, 'Bearer a-token-of-quite-another-length-than-any')).toBe('denied')
      expect(await verdict(basicAuth, `Basic ${b64('isc:p:a:ss')}`)).toBe('ok')
      expect(compare).toHaveBeenCalledTimes(4)
      const configured = compare.mock.calls.map(([, secret]) => Buffer.from(secret as Uint8Array).toString())
      expect(configured).toEqual(['alpha-token', 'beta-token', 'isc:p:a:ss', 'isc2:second'])
      // The wrong-length token is never what is compared: each secret is compared with itself.
      const presented = compare.mock.calls.slice(0, 2).map(([a]) => Buffer.from(a as Uint8Array).toString())
      expect(presented).toEqual(['alpha-token', 'beta-token'])
    })

    it('a credential of another length is refused without throwing', () => {
      const verify = createAuthVerifier({ type: 'bearer', tokens: ['x'.repeat(64)] })
      for (const token of ['x', 'x'.repeat(63), 'x'.repeat(65), 'x'.repeat(10_000)]) {
        expect(() => verify({ authorization: `Bearer ${token}` })).toThrow(
          expect.objectContaining({ code: 'UNAUTHORIZED' }),
        )
      }
      expect(compare).toHaveBeenCalledTimes(4)
    })
  })

  describe('basic credentials are strict base64 (RFC 4648 §4)', () => {
    const compare = vi.mocked(crypto.timingSafeEqual)
    beforeEach(() => {
      compare.mockClear()
    })
    // 'isc:x?~~' encodes with "/", "+" and one "=": aXNjOng/fn4=
    const strict: AuthOptions = { type: 'basic', credentials: [{ username: 'isc', password: 'x?~~' }] }
    const encoded = b64('isc:x?~~')

    it('accepts the one encoding of the credentials', async () => {
      expect(encoded).toBe('aXNjOng/fn4=')
      expect(await verdict(strict, `Basic ${encoded}`)).toBe('ok')
    })

    it.each([
      ['trailing junk after the padding', `${encoded}junk`],
      ['a trailing "=" too many', `${encoded}=`],
      ['extra padding', `${encoded}==`],
      ['missing padding', encoded.slice(0, -1)],
      ['base64url alphabet ("-" and "_")', encoded.replace('/', '_').replace('+', '-')],
      ['white space inside', `${encoded.slice(0, 4)} ${encoded.slice(4)}`],
      ['a character outside the alphabet', `${encoded.slice(0, 4)}.${encoded.slice(4)}`],
      ['non-zero unused bits in the last character', `${encoded.slice(0, -2)}5=`],
    ])('refuses %s, without comparing', async (_name, credentials) => {
      // each of these decodes leniently to the configured "isc:x?~~"
      expect(Buffer.from(credentials, 'base64').toString('utf8')).toBe('isc:x?~~')
      expect(await verdict(strict, `Basic ${credentials}`)).toBe('denied')
      expect(compare).not.toHaveBeenCalled()
    })
  })
})
