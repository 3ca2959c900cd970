// The acknowledgement latency of one delivery at a time over HTTP (node:http, toNodeHandler): the
// same receiver with and without `queue: bullmqQueue(...)`, twice each, 2000 sequential deliveries
// after 200 of warm-up. Needs Redis:
//   REDIS_URL=redis://127.0.0.1:6399 node --conditions=@isc-triggers/source --import tsx bench/src/ack-latency.ts
import { createServer } from 'node:http'
import { bullmqQueue } from '@isc-triggers/bullmq'
import { createTriggerReceiver, toNodeHandler } from '@isc-triggers/core'
import { sampleInput } from '@isc-triggers/testing'

async function measure(queued: boolean): Promise<number[]> {
  const queue = queued
    ? bullmqQueue({
        connection: { url: process.env.REDIS_URL! },
        name: `acklat-${process.pid}`,
        sealKey: false,
      })
    : undefined
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens: ['t'] },
    logger: false,
    ...(queue ? { queue } : {}),
  })
  receiver.on('idn:identity-created', () => {})
  const server = createServer(toNodeHandler(receiver, { path: '/isc/triggers' }))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  const body = JSON.stringify(sampleInput('idn:identity-created'))
  const times: number[] = []
  for (let i = 0; i < 2200; i++) {
    const t = performance.now()
    const res = await fetch(`http://127.0.0.1:${port}/isc/triggers/identity-created`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body,
    })
    await res.text()
    if (res.status !== 200) throw new Error(String(res.status))
    if (i >= 200) times.push(performance.now() - t)
  }
  if (queue)
    await (queue as unknown as { queue: { obliterate(o: object): Promise<void> } }).queue.obliterate({
      force: true,
    })
  await receiver.close()
  server.close()
  return times.sort((a, b) => a - b)
}
const pct = (t: number[], p: number) =>
  t[Math.min(t.length - 1, Math.floor((p / 100) * t.length))]!.toFixed(2)
for (const queued of [false, true, false, true]) {
  const t = await measure(queued)
  console.log(
    `${queued ? 'queued    ' : 'in-process'} p50 ${pct(t, 50)} ms  p99 ${pct(t, 99)} ms  (2000 sequential deliveries)`,
  )
}
