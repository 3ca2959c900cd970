// A worker process: runs the handlers for the deliveries the web processes stored. Run as many
// as you need, on the same Redis, queue name and ISC_JOB_KEY.
import { startTriggerWorker } from '@isc-triggers/bullmq'
import { createDurableReceiver, numberFromEnv } from './receiver.js'

let receiver: ReturnType<typeof createDurableReceiver>
try {
  receiver = createDurableReceiver()
} catch (error) {
  console.error((error as Error).message)
  process.exit(1)
}

const env = process.env
const concurrency = numberFromEnv(env, 'WORKER_CONCURRENCY', 8)
const lockDuration = numberFromEnv(env, 'WORKER_LOCK_MS', 30_000)
const stalledInterval = numberFromEnv(env, 'WORKER_STALLED_MS', 30_000)
const worker = startTriggerWorker(receiver, { concurrency, lockDuration, stalledInterval })

worker.worker.waitUntilReady().then(
  () =>
    console.log(
      `worker ${process.pid} ready: queue ${env.ISC_QUEUE || 'isc-triggers'}, concurrency ${concurrency}, ` +
        `lockDuration ${lockDuration} ms, stalledInterval ${stalledInterval} ms`,
    ),
  (error: Error) => console.error(`worker ${process.pid} could not reach Redis: ${error.message}`),
)

async function shutdown() {
  // Finish the running jobs (a job left unfinished goes back to the queue for another worker),
  // then release the Redis connections.
  await worker.close()
  await receiver.close()
  process.exit(0)
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
