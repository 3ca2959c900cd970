// Loopback HTTP servers and waits for core's callback and shutdown tests. Test-only: not part of
// the package. Nothing here measures speed: waits are for events, with generous hang detectors.
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request a loopback server received. */
export interface Received {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: string
  /** Date.now() when it arrived. */
  at: number
}

export interface Loopback {
  /** `http://127.0.0.1:<port>` */
  origin: string
  received: Received[]
  /** Resolves once `count` requests arrived (rejects after `ms`: a hang detector). */
  until(count: number, ms?: number): Promise<Received[]>
  close(): Promise<void>
}

type Answer = (request: Received, res: ServerResponse) => void

const servers: Loopback[] = []

/**
 * Starts a server on 127.0.0.1 that records every request and answers with `answer`
 * (default 204). Close them all with `closeLoopbacks()` in `afterEach`.
 *
 * @example
 * const isc = await loopback((_req, res) => res.writeHead(503).end())
 */
export async function loopback(answer: Answer = (_req, res) => res.writeHead(204).end()): Promise<Loopback> {
  const received: Received[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      }
      received.push(request)
      answer(request, res)
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const loop: Loopback = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    async until(count, ms = 8_000) {
      if (received.length < count)
        await within(
          new Promise<void>((resolve) => waiters.push({ count, resolve })),
          ms,
          `${count} requests`,
        )
      return received
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  servers.push(loop)
  return loop
}

export async function closeLoopbacks(): Promise<void> {
  for (const server of servers.splice(0)) await server.close()
}

/** Resolves as `promise` does, or rejects naming `what` after `ms` (a hang detector, never a speed check). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** A promise the test opens by hand (a handler awaiting it runs for as long as the test wants). */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason)
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true }),
  )
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
