import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { createTriggerReceiver, type TriggerReceiverOptions } from '@isc-triggers/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { Harness, MakeHarness } from './adapter-contract.js'
import { MOUNT } from './contract-http.js'
import { bearer, TEST_TOKEN } from './credentials.js'
import { settlesWithin } from './gate.js'

// Cases over a raw socket: what a hostile or broken client does with the connection itself. A
// refused request must be answered without waiting for its body, and its connection closed, so a
// client cannot hold it open by trickling bytes nobody reads (issue 15: Connection: close).

/** Names of the cases below, for a harness's `skip`. */
export const CONNECTION_CASES = {
  unauthenticated: 'a refused request (no credentials) is answered before its body and its connection closed',
  tooLarge: 'a body over bodyLimit → 413, and the connection closed while the client keeps sending',
  stalled: 'a body that stops arriving → 408 at bodyTimeoutMs, and the connection closed',
} as const

/**
 * Hang detectors, never speed checks: a refusal that waits for the body, or a connection left
 * open, never ends; on CI's two shared cores a refusal may take seconds. Each test may take both
 * waits, and its timeout is longer still, so that the detector's message is what fails.
 */
const HANG_MS = 30_000

interface Exchange {
  socket: Socket
  /** The reply's status line and headers, once they arrived. */
  head: Promise<{ status: number; headers: Record<string, string> }>
  /** Resolves when the server closed the connection. */
  closed: Promise<void>
}

/** Opens a connection and sends a request head and the start of its body. */
async function open(port: number, headers: Record<string, string>, firstBytes: string): Promise<Exchange> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {}) // a reset after the server closed is expected
  await once(socket, 'connect')
  const closed = once(socket, 'close').then(() => undefined)
  let text = ''
  const head = new Promise<{ status: number; headers: Record<string, string> }>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      if (end === -1) return
      const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n')
      const fields = lines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ])
      resolve({ status: Number(statusLine.split(' ')[1]), headers: Object.fromEntries(fields) })
    })
    closed.then(() => reject(new Error(`connection closed before a reply: ${JSON.stringify(text)}`)))
  })
  head.catch(() => {})
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
  socket.write(
    `POST ${MOUNT}/identity-created HTTP/1.1\r\nHost: localhost\r\n${lines.join('')}\r\n${firstBytes}`,
  )
  return { socket, head, closed }
}

/** Writes a byte every few milliseconds until the connection closes (or the test ends it). */
function trickle(socket: Socket): void {
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) clearInterval(timer)
    else socket.write(' ')
  }, 10)
  socket.once('close', () => clearInterval(timer))
}

/**
 * The connection cases of the adapter contract, for every harness that can `listen()`.
 *
 * @example
 * describeConnections(makeHarness, options.skip)
 */
export function describeConnections(makeHarness: MakeHarness, skip: Record<string, string> = {}): void {
  describe('connections', () => {
    let harness: Harness | undefined
    const sockets: Socket[] = []
    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.destroy()
      await harness?.close?.()
      harness = undefined
    })

    /** Starts a harness with a recording handler; returns its port, or undefined without listen(). */
    async function start(options: Partial<TriggerReceiverOptions>) {
      const calls: unknown[] = []
      const receiver = createTriggerReceiver({
        auth: { type: 'bearer', tokens: [TEST_TOKEN] },
        logger: false,
        ...options,
      }).on('idn:identity-created', (input) => {
        calls.push(input)
      })
      harness = await makeHarness(receiver)
      return { port: await harness.listen?.(), calls }
    }

    async function refusedAndClosed(
      options: Partial<TriggerReceiverOptions>,
      headers: Record<string, string>,
      firstBytes: string,
      status: number,
      keepSending: boolean,
      skipTest: () => void,
    ) {
      const { port, calls } = await start(options)
      if (port === undefined) return skipTest() // a direct handle() harness has no connection
      const exchange = await open(port, headers, firstBytes)
      sockets.push(exchange.socket)
      const head = await settlesWithin(
        exchange.head,
        HANG_MS,
        'the refusal waited for a body that never came',
      )
      expect(head.status).toBe(status)
      expect(head.headers.connection).toBe('close')
      if (keepSending) trickle(exchange.socket)
      await settlesWithin(
        exchange.closed,
        HANG_MS,
        'the server kept the connection of a refused request open',
      )
      expect(calls).toHaveLength(0)
    }

    const json = { 'content-type': 'application/json' }
    const cases: [string, (skipTest: () => void) => Promise<void>][] = [
      [
        CONNECTION_CASES.unauthenticated,
        (skipTest) =>
          refusedAndClosed({}, { ...json, 'content-length': '100000' }, '{"identity":', 401, true, skipTest),
      ],
      [
        CONNECTION_CASES.tooLarge,
        (skipTest) =>
          refusedAndClosed(
            { bodyLimit: 1024 },
            { ...json, authorization: bearer(TEST_TOKEN), 'content-length': '100000' },
            `{"identity":"${'x'.repeat(2048)}`,
            413,
            true,
            skipTest,
          ),
      ],
      [
        CONNECTION_CASES.stalled,
        (skipTest) =>
          refusedAndClosed(
            { bodyTimeoutMs: 200 },
            { ...json, authorization: bearer(TEST_TOKEN), 'content-length': '1000' },
            '{"identity":',
            408,
            false,
            skipTest,
          ),
      ],
    ]
    for (const [name, run] of cases) {
      if (name in skip) it.skip(`${name} (skipped: ${skip[name]})`, () => {})
      else it(name, (context) => run(() => context.skip()), HANG_MS * 3)
    }
  })
}
