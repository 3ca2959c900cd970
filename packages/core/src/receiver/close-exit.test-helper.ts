// Run by close-exit.test.ts in a child process (node --import tsx): a receiver with a callback
// that keeps failing (its next retry 120 s away) and a fire-and-forget handler with a 120 s timer
// of its own that it clears when ctx.signal aborts. After close() and closing its own server, the
// process must exit by itself: nothing of the receiver's may keep it alive. Prints the CloseReport.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bearer, identityCreatedSample, preApprovalSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import { createTriggerReceiver } from './receiver.js'

const LONG_MS = 120_000
let firstAttempt!: () => void
const attempted = new Promise<void>((resolve) => {
  firstAttempt = resolve
})
const isc = createServer((req, res) => {
  req.resume()
  res.writeHead(503).end()
  firstAttempt()
})
isc.listen(0, '127.0.0.1')
await once(isc, 'listening')
const origin = `http://127.0.0.1:${(isc.address() as AddressInfo).port}`

let handlerStarted!: () => void
const started = new Promise<void>((resolve) => {
  handlerStarted = resolve
})
const receiver = createTriggerReceiver({
  auth: { type: 'bearer', tokens: [TEST_TOKEN] },
  logger: false,
  completion: { allowedCallbackOrigins: [origin], retry: { baseDelayMs: LONG_MS, maxDelayMs: LONG_MS } },
})
  .on('idn:access-request-pre-approval', () => ({ approved: true, comment: '', approver: 'svc' }), {
    mode: 'async',
  })
  .on('idn:identity-created', async (_input, ctx) => {
    handlerStarted()
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, LONG_MS)
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  })

const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }
const callbackURL = `${origin}/beta/trigger-invocations/inv-exit/complete`
const body = JSON.stringify({ ...preApprovalSample(), _metadata: { callbackURL, secret: 's' } })
await receiver.handle({ method: 'POST', headers, body, trigger: 'access-request-pre-approval' })
const event = receiver.handle({
  method: 'POST',
  headers,
  body: JSON.stringify(identityCreatedSample()),
  trigger: 'identity-created',
})
await Promise.all([attempted, started])

const report = await receiver.close({ timeoutMs: 100 })
await event
isc.closeAllConnections()
isc.close()
process.stdout.write(JSON.stringify(report))
