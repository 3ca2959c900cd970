import { describe, expect, it } from 'vitest'
import { TriggerConfigError, TriggerError } from '../errors.js'
import { checkCallbackUrl, normaliseOrigins } from './callback-guard.js'

const none = new Set<string>()

describe('checkCallbackUrl', () => {
  it.each([
    'https://acme.api.identitynow.com/beta/trigger-invocations/1/complete',
    'https://acme-sb.api.identitynow-demo.com/v2025/trigger-invocations/1/complete',
    'https://acme.api.identitynow.com:443/trigger-invocations/v1/1/complete',
    'https://ACME.API.IDENTITYNOW.COM/beta/trigger-invocations/1/complete',
  ])('accepts ISC API host %s', (url) => {
    expect(checkCallbackUrl(url, none).hostname).toMatch(/identitynow/)
  })

  it.each([
    'not a url',
    'http://acme.api.identitynow.com/x',
    'https://evil.example/x',
    'https://acme.api.identitynow.com.evil.example/x',
    'https://localhost/x',
    'https://127.0.0.1/x',
    'file:///etc/passwd',
  ])('refuses %s', (url) => {
    expect(() => checkCallbackUrl(url, none)).toThrow(TriggerError)
  })

  it('trusts a listed origin exactly as written, and only that origin', () => {
    const allowed = normaliseOrigins(['http://127.0.0.1:4010/'])
    expect(checkCallbackUrl('http://127.0.0.1:4010/beta/trigger-invocations/1/complete', allowed).port).toBe(
      '4010',
    )
    expect(() => checkCallbackUrl('http://127.0.0.1:4011/x', allowed)).toThrow(TriggerError)
    expect(() => checkCallbackUrl('https://127.0.0.1:4010/x', allowed)).toThrow(TriggerError)
  })

  it('refuses allowedCallbackOrigins that are not http(s) origins', () => {
    expect(() => normaliseOrigins(['ftp://x'])).toThrow(TriggerConfigError)
    expect(() => normaliseOrigins(['nope'])).toThrow(TriggerConfigError)
  })
})
