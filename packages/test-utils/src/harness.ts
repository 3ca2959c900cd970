import type { RequestListener } from 'node:http'
import type { TriggerReceiver } from '@isc-triggers/core'
import request from 'supertest'
import type { Harness } from './adapter-contract.js'
import { type HarnessRequest, type HarnessResponse, MOUNT } from './contract-http.js'

/**
 * A harness over real HTTP: supertest starts the app (an Express app, `koa.callback()`, a Node
 * listener or a Nest HTTP server) on an ephemeral loopback port for each request.
 *
 * @example
 * runAdapterContract('express', (receiver) => httpHarness(appWith(receiver)))
 */
export function httpHarness(
  app: RequestListener | Parameters<typeof request>[0],
  onClose?: () => Promise<void> | void,
): Harness {
  return {
    async send({ method, path, headers, body }: HarnessRequest): Promise<HarnessResponse> {
      let test = request(app as Parameters<typeof request>[0])[method.toLowerCase() as 'post'](path)
      for (const [name, value] of Object.entries(headers)) test = test.set(name, value)
      // A string body is sent as-is, whatever its Content-Type says.
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
    close: onClose,
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
