import { isUtf8 } from 'node:buffer'
import { TriggerError } from '../errors.js'

/** A JSON object body, `_metadata` still inside. */
export type JsonObject = Record<string, unknown>

/** The 413 of a body over `limit` bytes (while reading, or from its declared length). */
export function tooLarge(limit: number): TriggerError {
  return new TriggerError('PAYLOAD_TOO_LARGE', `The body is larger than the limit of ${limit} bytes`)
}

const forbiddenKey = () =>
  new TriggerError('INVALID_JSON', 'The body contains a forbidden key (__proto__ or constructor.prototype)')

/** True when `Object.prototype` holds an enumerable property (someone polluted it). */
function objectPrototypePolluted(): boolean {
  for (const _ in {}) return true
  return false
}

/**
 * Rejects keys that could pollute a prototype when the object is later merged or copied:
 * `__proto__` anywhere, and a `constructor` that holds a `prototype`. Walks the parsed value
 * (without recursion, so deep nesting cannot overflow the stack) asking each object for those two
 * keys: a regular expression over the text took about twice as long on a 100 KiB body, and a text
 * search alone misses keys spelt with escapes (parseJsonText uses one only to skip this walk when
 * the text cannot hold such a key). `for...in` lists a plain JSON object's keys without making an array
 * per object; objects of other kinds, or any object once `Object.prototype` is polluted, have
 * their own keys listed instead, so inherited properties can never make the walk loop.
 */
export function assertNoPrototypeKeys(root: unknown): void {
  if (typeof root !== 'object' || root === null) return
  const ownKeysOnly = objectPrototypePolluted()
  const pending: object[] = [root]
  while (pending.length > 0) {
    const value = pending.pop() as Record<string, unknown>
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i]
        if (typeof item === 'object' && item !== null) pending.push(item)
      }
      continue
    }
    if (Object.hasOwn(value, '__proto__')) throw forbiddenKey()
    if (Object.hasOwn(value, 'constructor')) {
      const held = value.constructor
      if (typeof held === 'object' && held !== null && 'prototype' in held) throw forbiddenKey()
    }
    if (ownKeysOnly || Object.getPrototypeOf(value) !== Object.prototype) {
      for (const key of Object.keys(value)) {
        const child = value[key]
        if (typeof child === 'object' && child !== null) pending.push(child)
      }
      continue
    }
    for (const key in value) {
      const child = value[key]
      if (typeof child === 'object' && child !== null) pending.push(child)
    }
  }
}

function asObject(value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TriggerError('INVALID_PAYLOAD', 'The body must be a JSON object')
  return value as JsonObject
}

/** Parses a JSON text that is already within the size limit. */
export function parseJsonText(text: string): JsonObject {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1) // a UTF-8 byte order mark (RFC 8259 §8.1)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new TriggerError(
      'INVALID_JSON',
      text.trim() === '' ? 'The body is empty' : 'The body is not valid JSON',
      {
        cause,
      },
    )
  }
  if (mayNamePrototypeKey(text)) assertNoPrototypeKeys(value)
  return asObject(value)
}

/**
 * False only when the text cannot hold a `__proto__` or `constructor` key: it names neither, and
 * has no backslash (so no escape can spell one). Then the walk is skipped: a search of the text
 * costs about the same as the walk on a realistic body, and a hostile one of 349k empty objects
 * is searched in well under a millisecond, where the walk takes about 40 ms.
 */
function mayNamePrototypeKey(text: string): boolean {
  return text.includes('\\') || text.includes('__proto__') || text.includes('constructor')
}

/**
 * Turns a buffered body (bytes, a string, or an object a body parser already made) into a JSON
 * object, enforcing the size limit, UTF-8 and the forbidden keys.
 *
 * @example
 * parseBody(Buffer.from('{"identity":{}}'), 1_048_576) // { identity: {} }
 */
export function parseBody(body: Uint8Array | string | object, limit: number): JsonObject {
  if (typeof body === 'string') {
    if (body.length > limit / 3 && Buffer.byteLength(body, 'utf8') > limit) throw tooLarge(limit)
    return parseJsonText(body)
  }
  if (body instanceof Uint8Array) {
    if (body.byteLength > limit) throw tooLarge(limit)
    if (!isUtf8(body)) throw new TriggerError('INVALID_JSON', 'The body is not valid UTF-8')
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
    return parseJsonText(bytes.toString('utf8'))
  }
  if (body instanceof ArrayBuffer) return parseBody(new Uint8Array(body), limit)
  assertNoPrototypeKeys(body)
  return asObject(body)
}

const PARSER_ERRORS: Readonly<Record<string, () => TriggerError>> = {
  'entity.parse.failed': () => new TriggerError('INVALID_JSON', 'The body is not valid JSON'),
  'entity.too.large': () =>
    new TriggerError('PAYLOAD_TOO_LARGE', "The body is larger than the body parser's limit"),
  'encoding.unsupported': () =>
    new TriggerError('UNSUPPORTED_MEDIA_TYPE', 'The body encoding is not supported'),
  'charset.unsupported': () =>
    new TriggerError('UNSUPPORTED_MEDIA_TYPE', 'The body must be UTF-8 encoded JSON'),
  'request.aborted': () =>
    new TriggerError('INCOMPLETE_BODY', 'The request body ended before it was complete'),
  'request.size.invalid': () =>
    new TriggerError('INCOMPLETE_BODY', 'The request body does not match its Content-Length'),
}

/**
 * Recognises the errors a framework's body parser raises before the receiver runs (body-parser,
 * as in `express.json()`, and raw-body/co-body, as in Koa's parsers, set `error.type`), so the
 * receiver can answer them in its own format. Returns undefined for any other error.
 *
 * @example
 * bodyParserFailure(Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed' }))
 * // TriggerError INVALID_JSON
 */
export function bodyParserFailure(error: unknown): TriggerError | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const type = (error as { type?: unknown }).type
  return typeof type === 'string' && Object.hasOwn(PARSER_ERRORS, type) ? PARSER_ERRORS[type]!() : undefined
}
