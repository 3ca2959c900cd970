// Run by pending-memory.test.ts in a child process (node --expose-gc --import tsx), so that nothing
// of the test runner is in the heap it measures. Delivers WARM ASYNC invocations (code compiled,
// pools made), then N more whose callbacks all fail (503, next retry a minute away), waits until
// every one of them has made its first attempt and every connection is closed, collects garbage
// and prints the heap growth (V8 heap + external memory) per pending invocation.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bearer, preApprovalSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import { createTriggerReceiver } from '../receiver/receiver.js'

const N = Number(process.env.PENDING ?? 2000)
const WARM = 200
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

let attempts = 0
let waiter: { count: number; resolve: () => void } | undefined
const isc = createServer((req, res) => {
  req.resume()
  res.writeHead(503).end()
  attempts++
  if (waiter && attempts >= waiter.count) waiter.resolve()
})
// Idle keep-alive sockets belong to the HTTP client's pool, not to an invocation: they are let
// close (the server's keep-alive timeout) before each measure.
isc.keepAliveTimeout = 100
isc.listen(0, '127.0.0.1')
await once(isc, 'listening')
const origin = `http://127.0.0.1:${(isc.address() as AddressInfo).port}`
const attempted = (count: number) =>
  new Promise<void>((resolve) => {
    waiter = { count, resolve }
    if (attempts >= count) resolve()
  })
const idle = async () => {
  for (;;) {
    const open = await new Promise<number>((resolve) => isc.getConnections((_e, n) => resolve(n)))
    if (open === 0) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const receiver = createTriggerReceiver({
  auth: { type: 'bearer', tokens: [TEST_TOKEN] },
  logger: false,
  completion: { allowedCallbackOrigins: [origin], retry: { baseDelayMs: 60_000, maxDelayMs: 60_000 } },
}).on('idn:access-request-pre-approval', () => ({ approved: true, comment: 'ok', approver: 'svc' }), {
  mode: 'async',
})
const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }
const sample = preApprovalSample()
async function deliver(i: number) {
  const _metadata = {
    callbackURL: `${origin}/beta/trigger-invocations/inv-${i}/complete`,
    secret: `secret-${i}-${'x'.repeat(24)}`,
    triggerId: 'idn:access-request-pre-approval',
    triggerType: 'requestResponse',
    responseMode: 'async',
  }
  const body = JSON.stringify({ ...sample, _metadata })
  const reply = await receiver.handle({
    method: 'POST',
    headers,
    body,
    trigger: 'access-request-pre-approval',
  })
  if (reply.status !== 200) throw new Error(`delivery ${i}: ${reply.status}`)
}

function used(): number {
  gc!()
  gc!()
  const memory = process.memoryUsage()
  return memory.heapUsed + memory.external
}

for (let i = 0; i < WARM; i++) await deliver(-1 - i)
await attempted(WARM)
await idle()
const before = used()
for (let i = 0; i < N; i++) await deliver(i)
await attempted(WARM + N)
await idle()
const after = used()
const report = await receiver.close({ timeoutMs: 1 })
isc.close()
process.stdout.write(
  JSON.stringify({
    pending: N,
    bytesPerInvocation: Math.round((after - before) / N),
    abandoned: report.callbacks,
  }),
)
