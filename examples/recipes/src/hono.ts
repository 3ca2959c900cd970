// Recipe: Hono. The receiver is a Fetch handler, so a Hono route hands it the raw Request.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { TriggerReceiver } from '@isc-triggers/core'
import { Hono } from 'hono'

/**
 * Where ISC delivers: `POST /isc/triggers/<trigger>`, or `POST /isc/triggers` with the trigger in
 * `_metadata.triggerId`.
 *
 * @example
 * // The URL of an ISC subscription:
 * const url = `https://hooks.example.com${TRIGGER_PATH}/identity-created`
 */
export const TRIGGER_PATH = '/isc/triggers'

/**
 * A Hono app with the receiver on `/isc/triggers/:trigger` (and `/isc/triggers`, where
 * `_metadata.triggerId` names the trigger), for every method, next to the app's own routes.
 *
 * @example
 * const app = createHonoApp(receiver)
 * serve({ fetch: app.fetch, port: 3000 })
 */
export function createHonoApp(receiver: TriggerReceiver): Hono {
  const app = new Hono()
  app.get('/health', (c) => c.json({ ok: true }))
  app.post('/notes', async (c) => c.json({ saved: await c.req.json() }, 201))
  // c.req.raw is the unread Request: core reads it (body limit, auth, JSON, schema) and replies,
  // to every method (405 with `Allow: POST` to anything but POST, where app.post would get Hono's 404).
  app.all(`${TRIGGER_PATH}/:trigger`, (c) => receiver.fetch(c.req.raw, c.req.param('trigger')))
  app.all(TRIGGER_PATH, (c) => receiver.fetch(c.req.raw))
  return app
}

/**
 * A running Hono server: its port, and the shutdown that lets in-flight deliveries finish.
 *
 * @example
 * const server: HonoServer = await startHonoServer(receiver, { port: 0 })
 * console.log(`listening on ${server.port}`)
 * await server.close()
 */
export interface HonoServer {
  /** The port it listens on (the one the OS chose for `port: 0`). */
  port: number
  /** Stops taking connections, waits for the receiver's in-flight work, then for the server. */
  close(): Promise<void>
}

/**
 * Serves {@link createHonoApp} on `@hono/node-server`. `close()` stops taking connections, waits
 * for the receiver's in-flight work (`receiver.close()`: ISC never redelivers), then for the server.
 *
 * @example
 * const server = await startHonoServer(receiver, { port: 3000 })
 * process.once('SIGTERM', () => server.close())
 */
export async function startHonoServer(
  receiver: TriggerReceiver,
  { port = 3000, hostname = '127.0.0.1' }: { port?: number; hostname?: string } = {},
): Promise<HonoServer> {
  const server = serve({ fetch: createHonoApp(receiver).fetch, port, hostname })
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      )
      await receiver.close()
      if ('closeIdleConnections' in server) server.closeIdleConnections()
      await closed
    },
  }
}
