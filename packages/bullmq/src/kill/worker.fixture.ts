// The kill tests' worker process: the same receiver as the web process, and startTriggerWorker
// with short lock and stall intervals (a killed worker's jobs are handed out again within
// seconds). Prints `{"loaded":true}` once built; with KILL_WAIT_FOR_GO=1 it then waits for a
// `go` line on stdin (so a test can load it early and start it later); prints `{"ready":true}`
// once the worker is connected.
import { startTriggerWorker } from '../trigger-worker.js'
import { configFromEnv } from './kill-config.fixture.js'
import { buildKillReceiver, exitWithParent, goLine } from './kill-receiver.fixture.js'

exitWithParent()
const config = configFromEnv(process.env)
const { receiver, redis } = buildKillReceiver(config)
await redis.connect()
console.log(JSON.stringify({ loaded: true }))
if (process.env.KILL_WAIT_FOR_GO === '1') await goLine()
const worker = startTriggerWorker(receiver, {
  concurrency: config.concurrency,
  lockDuration: 2000,
  stalledInterval: 1000,
})
await worker.worker.waitUntilReady()
console.log(JSON.stringify({ ready: true }))
