import { EventEmitter, once } from 'node:events'
import { createServer } from 'node:http'
import { connect, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TriggerError } from '../errors.js'
import { readBodyStream, receivedBefore } from './body-stream.js'
import { DeadlineQueue } from './deadline-queue.js'
import { tooLarge } from './json-body.js'

// Streams here are pushed to by the test, step by step, and time is faked: no outcome depends on
// how fast the machine is.

/** A Node byte stream (like an IncomingMessage) that gives only what the test pushes. */
const byteStream = () => new Readable({ read() {} })

/** Every event raw-body or the reader listens to: all must be free again once a read settles. */
const EVENTS = ['aborted', 'close', 'data', 'end', 'error'] as const
const listenersOn = (stream: EventEmitter) => EVENTS.map((event) => stream.listenerCount(event))
const NONE = EVENTS.map(() => 0)

/** Lets the stream emit what was pushed (stream events ride on process.nextTick, not timers). */
const tick = () => new Promise((resolve) => setImmediate(resolve))

async function failureOf(reading: Promise<unknown>): Promise<TriggerError> {
  const outcome = await reading.then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(outcome).toBeInstanceOf(TriggerError)
  return outcome as TriggerError
}

const kept = (error: unknown) => Buffer.from(receivedBefore(error) ?? '').toString('utf8')
const causeType = (error: TriggerError) => (error.cause as { type?: string } | undefined)?.type

describe('readBodyStream: a Node byte stream, read with raw-body', () => {
  beforeEach(() => {
    // Only the timers the deadline queue uses; setImmediate and nextTick stay real for streams.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  const limits = (limit = 1024, ms = 10_000) => ({ limit, deadlines: new DeadlineQueue(ms) })

  it('reads a body in chunks, checks the declared length, and leaves no listener behind', async () => {
    const stream = byteStream()
    const reading = readBodyStream(stream, limits(), '13')
    stream.push('{"a":')
    await tick()
    stream.push('"hello"}')
    stream.push(null)
    expect((await reading).toString()).toBe('{"a":"hello"}')
    expect(listenersOn(stream)).toEqual(NONE)
  })

  it('stops at the limit mid-stream: 413, and the first `limit` bytes for onRejected', async () => {
    const stream = byteStream()
    const reading = readBodyStream(stream, limits(10))
    stream.push('12345')
    await tick()
    stream.push('67890AB') // passes the limit
    const error = await failureOf(reading)
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413, message: tooLarge(10).message })
    expect(kept(error)).toBe('1234567890')
    expect(listenersOn(stream)).toEqual(NONE)
    expect(stream.isPaused()).toBe(true)
    stream.push('more') // arrives after the refusal: ignored, nothing throws
    stream.push(null)
    await tick()
    // The queue's one timer fires once, finds nothing, and is not re-armed.
    await vi.advanceTimersByTimeAsync(10_000)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('answers a declared length over the limit before reading anything: 413, nothing kept', async () => {
    const stream = byteStream()
    stream.push('{"a":1}')
    const error = await failureOf(readBodyStream(stream, limits(10), '2000'))
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 })
    expect(kept(error)).toBe('')
    expect(listenersOn(stream)).toEqual(NONE)
    expect(stream.readableLength).toBe(7) // not read
  })

  it.each([
    ['larger than what arrives', '100'],
    ['smaller than what arrives', '4'],
  ])('a declared length %s: 400 INCOMPLETE_BODY (raw-body checks it)', async (_case, declared) => {
    const stream = byteStream()
    const reading = readBodyStream(stream, limits(), declared)
    stream.push('{"a":1}')
    stream.push(null)
    const error = await failureOf(reading)
    expect(error).toMatchObject({ code: 'INCOMPLETE_BODY', status: 400 })
    expect(causeType(error)).toBe('request.size.invalid')
    expect(kept(error)).toBe('{"a":1}')
    expect(listenersOn(stream)).toEqual(NONE)
  })

  it('ignores a declared length that is not a decimal number (raw-body would read 1e3 as 1)', async () => {
    const stream = byteStream()
    const reading = readBodyStream(stream, limits(), '1e3')
    stream.push('{"a":1}')
    stream.push(null)
    expect((await reading).toString()).toBe('{"a":1}')
  })

  it('cuts a slow body at the timeout: 408, what had arrived, no listener or timer left', async () => {
    const stream = byteStream()
    let settled = false
    const reading = readBodyStream(stream, limits(1024, 1_000), '100').finally(() => {
      settled = true
    })
    const outcome = failureOf(reading)
    stream.push('{"a":')
    await tick()
    await vi.advanceTimersByTimeAsync(600)
    stream.push('1,')
    await tick()
    await vi.advanceTimersByTimeAsync(399)
    expect(settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    const error = await outcome
    expect(error).toMatchObject({ code: 'REQUEST_TIMEOUT', status: 408 })
    expect(kept(error)).toBe('{"a":1,')
    expect(listenersOn(stream)).toEqual(NONE)
    expect(stream.isPaused()).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    // The rest arrives late: raw-body was stopped, so nothing answers twice or throws.
    stream.push('"b":2}')
    stream.push(null)
    stream.resume()
    await tick()
  })

  it('times out a body that never arrives, many reads on one timer', async () => {
    const deadlines = new DeadlineQueue(1_000)
    const streams = [byteStream(), byteStream(), byteStream()]
    const outcomes = streams.map((stream) => failureOf(readBodyStream(stream, { limit: 1024, deadlines })))
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(1_000)
    for (const error of await Promise.all(outcomes)) expect(error.code).toBe('REQUEST_TIMEOUT')
    for (const stream of streams) expect(listenersOn(stream)).toEqual(NONE)
  })

  it('a stream that fails or closes mid-body: 400, with what had arrived', async () => {
    const failing = byteStream()
    const failed = failureOf(readBodyStream(failing, limits()))
    failing.push('{"a":')
    await tick()
    const hangUp = new Error('socket hang up')
    failing.destroy(hangUp)
    const error = await failed
    expect(error).toMatchObject({ code: 'INCOMPLETE_BODY', status: 400, cause: hangUp })
    expect(kept(error)).toBe('{"a":')

    // Destroyed without an error: raw-body only cleans up on a bare 'close'; the reader answers.
    const closing = byteStream()
    const closed = failureOf(readBodyStream(closing, limits()))
    closing.push('{"b":')
    await tick()
    closing.destroy()
    const early = await closed
    expect(early).toMatchObject({ code: 'INCOMPLETE_BODY', status: 400 })
    expect(kept(early)).toBe('{"b":')
    expect(listenersOn(closing)).toEqual(NONE)
  })

  it('a stream already read: BODY_CONSUMED; one already destroyed: INCOMPLETE_BODY', async () => {
    const read = byteStream()
    read.push('{}')
    read.push(null)
    read.resume()
    await once(read, 'end')
    expect(await failureOf(readBodyStream(read, limits()))).toMatchObject({
      code: 'BODY_CONSUMED',
      status: 500,
    })

    // raw-body's own check: a stream that says it is not readable.
    const spent = Object.assign(new EventEmitter(), { readable: false, resume() {}, pause() {} })
    const error = await failureOf(readBodyStream(spent as unknown as Readable, limits()))
    expect(error).toMatchObject({ code: 'BODY_CONSUMED', status: 500 })
    expect(listenersOn(spent)).toEqual(NONE)

    const gone = byteStream()
    gone.destroy()
    expect(await failureOf(readBodyStream(gone, limits()))).toMatchObject({ code: 'INCOMPLETE_BODY' })
  })

  it('reads a stream that yields text (setEncoding, object mode) as UTF-8, and never destroys it', async () => {
    const decoded = byteStream()
    decoded.setEncoding('utf8')
    const reading = readBodyStream(decoded, limits())
    decoded.push('{"name":"Zoë"}')
    decoded.push(null)
    expect((await reading).equals(Buffer.from('{"name":"Zoë"}'))).toBe(true)

    expect((await readBodyStream(Readable.from(['{"a":', '1}']), limits())).toString()).toBe('{"a":1}')

    const large = byteStream()
    large.setEncoding('utf8')
    const refused = failureOf(readBodyStream(large, limits(4)))
    large.push('{"a":1}')
    const error = await refused
    expect(error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(kept(error)).toBe('{"a"')
    expect(large.destroyed).toBe(false) // a request must still be answered
  })

  it('times out an async generator that waits forever (its return() is not awaited)', async () => {
    const stalled = (async function* () {
      yield new TextEncoder().encode('{"a":')
      await new Promise(() => {})
    })()
    const outcome = failureOf(readBodyStream(stalled, limits(1024, 1_000)))
    await vi.advanceTimersByTimeAsync(1_000)
    const error = await outcome
    expect(error.code).toBe('REQUEST_TIMEOUT')
    expect(kept(error)).toBe('{"a":')
  })
})

describe('readBodyStream: a real request whose client leaves mid-body', () => {
  it('answers 400 INCOMPLETE_BODY with the bytes that had arrived', async () => {
    let client: Socket | undefined
    let request: EventEmitter | undefined
    const outcome = new Promise<unknown>((resolve) => {
      const server = createServer((req) => {
        request = req
        const limits = { limit: 1024, deadlines: new DeadlineQueue(10_000) }
        readBodyStream(req, limits, req.headers['content-length']).then(resolve, resolve)
        // Leave once the server has the first bytes: what arrived is then known.
        req.once('data', () => client?.destroy())
      })
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number }
        client = connect(port, '127.0.0.1', () => {
          client?.write(
            'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
              'Content-Length: 100\r\n\r\n{"partial":',
          )
        })
        client.on('error', () => {})
      })
      server.unref()
    })
    const error = (await outcome) as TriggerError
    expect(error).toBeInstanceOf(TriggerError)
    expect(error).toMatchObject({ code: 'INCOMPLETE_BODY', status: 400 })
    expect(causeType(error)).toBe('request.aborted')
    expect(kept(error)).toBe('{"partial":')
    await tick()
    expect(listenersOn(request!).slice(0, 4)).toEqual([0, 0, 0, 0]) // 'error' may be Node's own
  })
})
