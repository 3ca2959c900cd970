import { describe, expect, it } from 'vitest'
import type { TriggerError } from '../errors.js'
import { assertIdentityEncoding, assertJsonContentType } from './media-type.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as TriggerError).code
  }
  return undefined
}

describe('assertJsonContentType', () => {
  it.each([
    undefined,
    '',
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON;charset="UTF-8"',
  ])('accepts %j', (type) => expect(codeOf(() => assertJsonContentType(type))).toBeUndefined())
  it.each([
    'text/plain',
    'application/xml',
    'application/jsonx',
    'application/json; charset=latin1',
    'multipart/form-data',
  ])('refuses %j with 415', (type) =>
    expect(codeOf(() => assertJsonContentType(type))).toBe('UNSUPPORTED_MEDIA_TYPE'),
  )
})

describe('assertIdentityEncoding', () => {
  it.each([undefined, '', 'identity', 'IDENTITY'])('accepts %j', (encoding) => {
    expect(codeOf(() => assertIdentityEncoding(encoding))).toBeUndefined()
  })
  it.each(['gzip', 'deflate', 'br', 'gzip, identity', 'x'.repeat(100)])('refuses %j with 415', (encoding) => {
    expect(codeOf(() => assertIdentityEncoding(encoding))).toBe('UNSUPPORTED_MEDIA_TYPE')
  })
})
