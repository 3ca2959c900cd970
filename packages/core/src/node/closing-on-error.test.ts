import { once } from 'node:events'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createTriggerReceiver } from '../receiver/receiver.js'
import { toNodeHandler } from './node-handler.js'
import { closingOnError } from './node-request.js'

const refused = { status: 401, headers: { 'content-type': 'application/json' }, body: '{}' }

describe('closingOnError', () => {
  it('closes an HTTP/1 connection after a refusal', () => {
    expect(closingOnError(refused).headers.connection).toBe('close')
    expect(closingOnError(refused, { httpVersionMajor: 1 }).headers.connection).toBe('close')
  })

  it('leaves an HTTP/2 reply without a Connection header (HTTP/2 has none)', () => {
    expect(closingOnError(refused, { httpVersionMajor: 2 }).headers.connection).toBeUndefined()
  })
})

describe('the Node bridge over HTTP/2 (compatibility API, as Fastify with http2: true uses)', () => {
  let server: http2.Http2Server | undefined
  afterEach(async () => {
    server?.close()
    server = undefined
  })

  it('answers a refusal without a Connection header', async () => {
    const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: ['t0ken'] }, logger: false })
    const handler = toNodeHandler(receiver, { path: '/isc/triggers' })
    const written: Record<string, unknown>[] = []
    server = http2.createServer((req, res) => {
      const writeHead = res.writeHead.bind(res) as (status: number, headers: object) => unknown
      ;(res as unknown as { writeHead: unknown }).writeHead = (
        status: number,
        headers: Record<string, unknown>,
      ) => {
        written.push(headers)
        return writeHead(status, headers)
      }
      handler(req as never, res as never)
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    try {
      const stream = client.request({
        ':method': 'POST',
        ':path': '/isc/triggers/identity-created',
        'content-type': 'application/json',
        authorization: 'Bearer wrong',
      })
      stream.end('{}')
      const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders]
      stream.resume()
      await once(stream, 'end')
      expect(headers[':status']).toBe(401)
      expect(written).toHaveLength(1)
      expect(written[0]).not.toHaveProperty('connection')
    } finally {
      client.close()
    }
  })
})
