import { once } from 'node:events'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TriggerReceiver } from '@isc-triggers/core'
import request from 'supertest'
import type { Harness } from './adapter-contract.js'
import { type HarnessRequest, type HarnessResponse, MOUNT } from './contract-http.js'

/**
 * A harness over real HTTP: supertest starts the app (an Express app, `koa.callback()`, a Node
 * listener or a Nest HTTP server) on an ephemeral loopback port for each request; `listen()`
 * starts it once on a port of its own, for the cases that speak over a raw socket.
 *
 * @example
 * runAdapterContract('express', (receiver) => httpHarness(appWith(receiver)))
 */
export function httpHarness(
  app: RequestListener | Parameters<typeof request>[0],
  onClose?: () => Promise<void> | void,
): Harness {
  let server: Server | undefined
  return {
    async listen() {
      server ??= typeof app === 'function' ? createServer(app as RequestListener) : (app as Server)
      if (!server.listening) {
        server.listen(0, '127.0.0.1')
        await once(server, 'listening')
      }
      return (server.address() as AddressInfo).port
    },
    async send({ method, path, headers, body }: HarnessRequest): Promise<HarnessResponse> {
      let test = request(app as Parameters<typeof request>[0])[method.toLowerCase() as 'post'](path)
      for (const [name, value] of Object.entries(headers)) test = test.set(name, value)
      // A string or Buffer body is sent as-is, whatever its Content-Type says (superagent would
      // serialise a Buffer as JSON under a JSON Content-Type).
      if (Buffer.isBuffer(body)) test = test.serialize((bytes) => bytes)
      const response = await (body === undefined ? test : test.send(body)).buffer(true).parse((res, done) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
        })
        res.on('end', () => done(null, text))
      })
      return {
        status: response.status,
        headers: response.headers as Record<string, string>,
        text: response.body as string,
      }
    },
    async close() {
      await onClose?.()
      if (!server?.listening) return
      server.closeAllConnections()
      await new Promise((resolve) => server?.close(resolve))
    },
  }
}

/**
 * A harness that calls `receiver.handle()` directly, with the URL segment after {@link MOUNT}
 * as the trigger: the reference every adapter is compared with.
 *
 * @example
 * runAdapterContract('handle()', handleHarness)
 */
export function handleHarness(receiver: TriggerReceiver): Harness {
  return {
    async send({ method, path, headers, body }: HarnessRequest): Promise<HarnessResponse> {
      const rest = path.slice(MOUNT.length).replace(/^\/|\/$/g, '')
      const reply = await receiver.handle({
        method,
        headers,
        body: body === undefined ? undefined : Buffer.from(body),
        trigger: rest === '' ? undefined : decodeURIComponent(rest),
      })
      return { status: reply.status, headers: reply.headers, text: reply.body }
    },
  }
}
