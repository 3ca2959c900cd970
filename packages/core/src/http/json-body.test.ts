import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { TriggerError } from '../errors.js'
import { readBodyStream } from './body-stream.js'
import { DeadlineQueue } from './deadline-queue.js'
import { bodyParserFailure, parseBody } from './json-body.js'

const LIMIT = 1024
const json = '{"identity":{"id":"1"},"n":1}'
const expected = { identity: { id: '1' }, n: 1 }

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as TriggerError).code
  }
  return undefined
}

async function codeOfAsync(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(TriggerError)
    return (error as TriggerError).code
  }
  return undefined
}

describe('parseBody: every buffered state', () => {
  it.each([
    ['a Buffer', Buffer.from(json)],
    ['a plain Uint8Array', new TextEncoder().encode(json)],
    ['an ArrayBuffer', new TextEncoder().encode(json).buffer],
    ['a string', json],
    ['a string with a byte order mark', `\uFEFF${json}`],
    ['an object a parser made', structuredClone(expected)],
  ])('%s', (_name, body) => {
    expect(parseBody(body, LIMIT)).toEqual(expected)
  })

  it.each([
    ['empty', '', 'INVALID_JSON'],
    ['truncated', '{"a":', 'INVALID_JSON'],
    ['an array', '[1]', 'INVALID_PAYLOAD'],
    ['null', 'null', 'INVALID_PAYLOAD'],
    ['a number', '42', 'INVALID_PAYLOAD'],
    ['__proto__ at the top', '{"__proto__":{"x":1}}', 'INVALID_JSON'],
    ['__proto__ nested in an array', '{"a":[{"b":{"__proto__":{}}}]}', 'INVALID_JSON'],
    ['__proto__ spelt with escapes', '{"\\u005f_proto__":{"x":1}}', 'INVALID_JSON'],
    ['constructor.prototype', '{"constructor":{"prototype":{"x":1}}}', 'INVALID_JSON'],
    [
      'constructor.prototype spelt with escapes',
      '{"\\u0063onstructor":{"prototype":{"x":1}}}',
      'INVALID_JSON',
    ],
    ['over the limit as a string', `{"a":"${'é'.repeat(600)}"}`, 'PAYLOAD_TOO_LARGE'],
  ])('refuses %s', (_name, text, code) => {
    expect(codeOf(() => parseBody(text, LIMIT))).toBe(code)
  })

  it('keeps a harmless "constructor" key (an attribute may be called that)', () => {
    expect(parseBody('{"attributes":{"constructor":"Bob"}}', LIMIT)).toEqual({
      attributes: { constructor: 'Bob' },
    })
  })

  it('refuses bytes over the limit, and invalid UTF-8', () => {
    expect(codeOf(() => parseBody(Buffer.alloc(LIMIT + 1, 32), LIMIT))).toBe('PAYLOAD_TOO_LARGE')
    expect(codeOf(() => parseBody(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), LIMIT))).toBe(
      'INVALID_JSON',
    )
  })

  it('refuses a __proto__ key in an object a parser made', () => {
    const parsed = JSON.parse('{"a":{"__proto__":{"polluted":1}}}')
    expect(codeOf(() => parseBody(parsed, LIMIT))).toBe('INVALID_JSON')
  })

  it('still finds forbidden keys, and does not loop, once Object.prototype is polluted', () => {
    const polluted = Object.prototype as Record<string, unknown>
    polluted.injected = { nested: {} }
    try {
      expect(parseBody('{"a":{"b":[{"c":1}]}}', LIMIT)).toEqual({ a: { b: [{ c: 1 }] } })
      expect(codeOf(() => parseBody('{"a":{"b":{"__proto__":{}}}}', LIMIT))).toBe('INVALID_JSON')
    } finally {
      delete polluted.injected
    }
  })

  it('walks the own keys of objects that are not plain (a prototype cannot make it loop)', () => {
    class Node {
      child: object | undefined
    }
    Object.defineProperty(Node.prototype, 'loop', { enumerable: true, get: () => new Node() })
    const body = Object.assign(new Node(), { child: { constructor: { prototype: {} } } })
    expect(codeOf(() => parseBody(body, LIMIT))).toBe('INVALID_JSON')
  })

  it('walks deep nesting without overflowing the stack', () => {
    const depth = 100_000
    const deep = `{"a":${'['.repeat(depth)}"constructor"${']'.repeat(depth)}}`
    expect(parseBody(deep, 10 * depth)).toHaveProperty('a')
  })
})

describe('readBodyStream: bodies not read yet', () => {
  const limits = { limit: LIMIT, deadlines: new DeadlineQueue(1000) }

  it.each([
    [
      'a Node stream in chunks',
      () => Readable.from([Buffer.from(json.slice(0, 5)), Buffer.from(json.slice(5))]),
    ],
    ['a Node stream of strings', () => Readable.from([json], { objectMode: false })],
    ['a Web ReadableStream', () => new Response(json).body!],
    [
      'an async iterable',
      () =>
        (async function* () {
          yield new TextEncoder().encode(json)
        })(),
    ],
  ])('%s', async (_name, make) => {
    const bytes = await readBodyStream(make(), limits)
    expect(JSON.parse(bytes.toString('utf8'))).toEqual(expected)
  })

  it('stops reading as soon as the limit is passed (an endless stream is not drained)', async () => {
    let produced = 0
    const endless = new Readable({
      read() {
        produced += 256
        this.push(Buffer.alloc(256, 32))
      },
    })
    expect(await codeOfAsync(readBodyStream(endless, limits))).toBe('PAYLOAD_TOO_LARGE')
    endless.destroy()
    expect(produced).toBeLessThan(LIMIT * 64)
  })

  it('stops an endless Web stream at the limit too', async () => {
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(256))
      },
    })
    expect(await codeOfAsync(readBodyStream(endless, limits))).toBe('PAYLOAD_TOO_LARGE')
  })

  it('times out a body that never finishes', async () => {
    const stalled = new Readable({ read() {} })
    stalled.push('{"a":')
    expect(
      await codeOfAsync(readBodyStream(stalled, { limit: LIMIT, deadlines: new DeadlineQueue(50) })),
    ).toBe('REQUEST_TIMEOUT')
    const stalledIterable = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Uint8Array>>(() => {}) }),
    }
    expect(
      await codeOfAsync(readBodyStream(stalledIterable, { limit: LIMIT, deadlines: new DeadlineQueue(50) })),
    ).toBe('REQUEST_TIMEOUT')
  })

  it('times out a Web stream that never finishes, and cancels it', async () => {
    let cancelled = false
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"a":'))
      },
      cancel() {
        cancelled = true
      },
    })
    expect(
      await codeOfAsync(readBodyStream(stalled, { limit: LIMIT, deadlines: new DeadlineQueue(50) })),
    ).toBe('REQUEST_TIMEOUT')
    expect(cancelled).toBe(true)
  })

  it('reports a Web stream that errors as incomplete, and one already read as consumed', async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        setTimeout(() => controller.error(new Error('socket hang up')), 5)
      },
    })
    expect(await codeOfAsync(readBodyStream(broken, limits))).toBe('INCOMPLETE_BODY')
    const request = new Request('http://localhost/', { method: 'POST', body: json })
    await request.text()
    expect(await codeOfAsync(readBodyStream(request.body!, limits))).toBe('BODY_CONSUMED')
  })

  it('reports a stream that errors or closes early as incomplete', async () => {
    const broken = new Readable({ read() {} })
    setTimeout(() => broken.destroy(new Error('socket hang up')), 5)
    expect(await codeOfAsync(readBodyStream(broken, limits))).toBe('INCOMPLETE_BODY')
  })

  it('says clearly when a body was consumed and nothing was kept', async () => {
    const consumed = Readable.from([Buffer.from(json)])
    for await (const _ of consumed) {
      // a parser read it
    }
    expect(await codeOfAsync(readBodyStream(consumed, limits))).toBe('BODY_CONSUMED')
  })
})

describe('bodyParserFailure', () => {
  it.each([
    ['entity.parse.failed', 'INVALID_JSON'],
    ['entity.too.large', 'PAYLOAD_TOO_LARGE'],
    ['charset.unsupported', 'UNSUPPORTED_MEDIA_TYPE'],
    ['request.aborted', 'INCOMPLETE_BODY'],
  ])('maps a body parser error of type %s', (type, code) => {
    expect(bodyParserFailure(Object.assign(new Error('x'), { type }))?.code).toBe(code)
  })
  it('leaves other errors alone', () => {
    expect(bodyParserFailure(new Error('database down'))).toBeUndefined()
    expect(bodyParserFailure(Object.assign(new Error('x'), { type: 'toString' }))).toBeUndefined()
    expect(bodyParserFailure('text')).toBeUndefined()
  })
})
