import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, it } from 'vitest'
import type { TriggerReply } from '../http/reply.js'
import { createTriggerReceiver } from '../receiver/receiver.js'
import { answerNodeRequest } from './node-request.js'

let server: Server | undefined
afterEach(() => {
  server?.close()
  server = undefined
})

/** A server that answers each request with `answer(req)`'s reply, written by hand. */
async function serve(answer: (req: IncomingMessage) => Promise<TriggerReply>): Promise<string> {
  server = createServer((req, res) => {
    answer(req).then(
      (reply) => res.writeHead(reply.status, reply.headers).end(reply.body),
      (error: Error) => res.writeHead(599).end(error.message),
    )
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/isc/triggers/identity-created`
}

const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: ['t0ken'] }, logger: false })
const body = JSON.stringify({
  identity: { type: 'IDENTITY', id: 'i1', name: 'Ada' },
  attributes: { firstname: 'Ada' },
})
const post = (url: string, token = 't0ken') =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  })

it('passes the reply to send, a refusal with Connection: close', async () => {
  receiver.on('idn:identity-created', () => {})
  const url = await serve(
    (req) =>
      new Promise((resolve, reject) =>
        answerNodeRequest(receiver, req, { trigger: 'identity-created' }, resolve, reject),
      ),
  )
  const ok = await post(url)
  expect([ok.status, await ok.text()]).toEqual([200, '{}'])
  const refused = await post(url, 'wrong')
  expect([refused.status, refused.headers.get('connection')]).toEqual([401, 'close'])
})

it('hands an error send throws to fail, never losing the answer', async () => {
  const url = await serve(
    (req) =>
      new Promise((_resolve, reject) =>
        answerNodeRequest(
          receiver,
          req,
          { trigger: 'identity-created' },
          () => {
            throw new Error('the framework could not send')
          },
          reject,
        ),
      ),
  )
  const response = await post(url)
  expect([response.status, await response.text()]).toEqual([599, 'the framework could not send'])
})
