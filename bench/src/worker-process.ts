// One benchmark worker per process: the queued benchmark receiver (trivial handlers) run by
// startTriggerWorker. Reads BENCH_REDIS_URL, BENCH_QUEUE_NAME and BENCH_CONCURRENCY; sends
// 'ready' over IPC once its worker is connected, and closes (then exits) on 'stop'.
import { startTriggerWorker } from '@isc-triggers/bullmq'
import { queuedBenchReceiver } from './servers-queued.js'

const receiver = queuedBenchReceiver()
const worker = startTriggerWorker(receiver, { concurrency: Number(process.env.BENCH_CONCURRENCY ?? 8) })
worker.worker.on('failed', (job, error) => {
  console.error(`benchmark worker: job ${job?.id} failed: ${error.message}`)
})
await worker.worker.waitUntilReady()
process.send?.('ready')
process.on('message', async (message) => {
  if (message !== 'stop') return
  await worker.close()
  await receiver.close()
  process.exit(0)
})
