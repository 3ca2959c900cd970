import { once } from 'node:events'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A proxy in front of the fake ISC's completion endpoint (see {@link startCallbackHold}). */
export interface CallbackHold {
  readonly origin: string
  /** The callback URL of `invocationId` through this proxy. */
  callbackURL(invocationId: string): string
  /** Stops holding: later callbacks of held invocations are answered as ISC answers them. */
  release(): void
  close(): Promise<void>
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/**
 * Forwards every callback to `iscOrigin` and answers with ISC's reply, except, until
 * `release()`, for invocations in `held`: those reach ISC (which completes them) but their
 * reply is never sent back. A worker killed then has completed the invocation without knowing
 * it, the window a crash can hit between ISC's answer and the job being marked done.
 *
 * @example
 * const hold = await startCallbackHold(isc.origin, new Set(['inv-3']))
 * // _metadata.callbackURL = hold.callbackURL('inv-3'); completion.allowedCallbackOrigins: [hold.origin]
 */
export async function startCallbackHold(iscOrigin: string, held: Set<string>): Promise<CallbackHold> {
  let holding = true
  const server = createServer((req, res) => {
    const path = req.url ?? '/'
    const id = decodeURIComponent(/\/trigger-invocations\/([^/]+)\/complete$/.exec(path)?.[1] ?? '')
    bodyOf(req)
      .then(async (body) => {
        const reply = await fetch(`${iscOrigin}${path}`, {
          method: req.method ?? 'POST',
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
          body: body.toString('utf8'),
        })
        const text = await reply.text()
        if (holding && held.has(id)) return // ISC has it; the worker never hears back
        res.writeHead(reply.status, { 'content-type': reply.headers.get('content-type') ?? 'text/plain' })
        res.end(text)
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(502).end()
      })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    callbackURL: (invocationId) =>
      `${origin}/beta/trigger-invocations/${encodeURIComponent(invocationId)}/complete`,
    release() {
      holding = false
    },
    close() {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
