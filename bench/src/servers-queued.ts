// The queued scenarios: the same node:http and Express servers as "isc-triggers", with the
// receiver's deliveries stored as BullMQ jobs (acknowledged once stored). The runner passes the
// Redis and the queue's name in BENCH_REDIS_URL and BENCH_QUEUE_NAME.
import { createServer, type Server } from 'node:http'
import { bullmqQueue } from '@isc-triggers/bullmq'
import { toNodeHandler } from '@isc-triggers/core'
import { createTriggerMiddleware } from '@isc-triggers/express'
import express from 'express'
import { BENCH_SEAL_KEY } from './redis.js'
import { benchReceiver } from './servers-receiver.js'

/** The benchmark receiver with `queue: bullmqQueue(...)`, on the runner's Redis and queue. */
export function queuedBenchReceiver() {
  const url = process.env.BENCH_REDIS_URL
  const name = process.env.BENCH_QUEUE_NAME
  if (!url || !name) throw new Error('the queued scenarios need BENCH_REDIS_URL and BENCH_QUEUE_NAME')
  return benchReceiver(bullmqQueue({ connection: { url }, name, sealKey: BENCH_SEAL_KEY }))
}

export const queuedScenarios: Record<string, () => Server> = {
  'node:http queued': () => createServer(toNodeHandler(queuedBenchReceiver(), { path: '/isc/triggers' })),
  'express queued': () => {
    const app = express()
    app.use('/isc/triggers', createTriggerMiddleware(queuedBenchReceiver()))
    return createServer(app)
  },
}
