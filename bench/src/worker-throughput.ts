// Worker throughput: N fire-and-forget deliveries are stored (through receiver.handle() with the
// queued benchmark receiver) while the queue is paused; then 1 or 2 worker processes
// (worker-process.ts, startTriggerWorker with trivial handlers) are started, the queue resumed,
// and the run lasts from the first job taken to the last one completed, as BullMQ's own
// timestamps of the jobs (processedOn, finishedOn) say.
import { type ChildProcess, fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { bullmqQueue } from '@isc-triggers/bullmq'
import { Queue } from 'bullmq'
import { payloads, TOKEN } from './payloads.js'
import { BENCH_SEAL_KEY, obliterate } from './redis.js'
import { benchReceiver } from './servers-receiver.js'

export interface WorkerRun {
  workers: number
  jobs: number
  /** From the first job taken to the last completion, in seconds. */
  seconds: number
  jobsPerSecond: number
}

/** Stores `jobs` deliveries of idn:identity-created, `inFlight` at a time. */
async function fill(url: string, name: string, jobs: number, inFlight = 64): Promise<void> {
  const receiver = benchReceiver(bullmqQueue({ connection: { url }, name, sealKey: BENCH_SEAL_KEY }))
  const payload = payloads[0]!
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
  const body = Buffer.from(payload.body)
  let next = 0
  const lane = async () => {
    while (next < jobs) {
      next++
      const reply = await receiver.handle({ method: 'POST', headers, body, trigger: payload.label })
      if (reply.status !== 200) throw new Error(`storing a benchmark job answered ${reply.status}`)
    }
  }
  try {
    await Promise.all(Array.from({ length: inFlight }, lane))
  } finally {
    await receiver.close()
  }
}

function startWorker(url: string, name: string, concurrency: number): ChildProcess {
  return fork(new URL('./worker-process.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      BENCH_REDIS_URL: url,
      BENCH_QUEUE_NAME: name,
      BENCH_CONCURRENCY: String(concurrency),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

/** Resolves on the worker's 'ready' message; rejects if it exits first. */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`a benchmark worker exited (${code}) before it was ready`)))
  })
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  const kill = setTimeout(() => child.kill(), 15_000)
  if (child.connected) child.send('stop')
  else child.kill()
  await exited
  clearTimeout(kill)
}

/** Waits until every job is completed or failed (polling the counts); throws on a failed job. */
async function drained(queue: Queue, jobs: number, hangMs = 300_000): Promise<void> {
  const started = Date.now()
  for (;;) {
    const { completed = 0, failed = 0 } = await queue.getJobCounts('completed', 'failed')
    if (failed > 0) throw new Error(`worker throughput: ${failed} benchmark jobs failed`)
    if (completed >= jobs) return
    if (Date.now() - started > hangMs)
      throw new Error(`worker throughput: ${completed}/${jobs} completed, hung`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/**
 * One run: `jobs` stored, then `workers` worker processes of `concurrency` each drain them.
 *
 * @example
 * const { jobsPerSecond } = await measureWorkers('redis://127.0.0.1:6379', { workers: 2, jobs: 20_000, concurrency: 16 })
 */
export async function measureWorkers(
  url: string,
  { workers, jobs, concurrency }: { workers: number; jobs: number; concurrency: number },
): Promise<WorkerRun> {
  const name = `bench-workers-${randomUUID().slice(0, 8)}`
  const queue = new Queue(name, { connection: { url } })
  const children: ChildProcess[] = []
  try {
    await queue.pause()
    await fill(url, name, jobs)
    for (let i = 0; i < workers; i++) children.push(startWorker(url, name, concurrency))
    await Promise.all(children.map(ready))
    await queue.resume()
    await drained(queue, jobs)
    // The completed set is ordered by finish time: the first finishers include the first taken.
    const first = await queue.getJobs(['completed'], 0, workers * concurrency, true)
    const [last] = await queue.getJobs(['completed'], 0, 0, false)
    const start = Math.min(...first.map((job) => job.processedOn ?? Number.POSITIVE_INFINITY))
    const seconds = ((last?.finishedOn ?? Number.NaN) - start) / 1000
    if (!(seconds > 0)) throw new Error('worker throughput: no job timestamps to measure')
    return { workers, jobs, seconds, jobsPerSecond: jobs / seconds }
  } finally {
    await Promise.all(children.map(stopWorker))
    await queue.close()
    await obliterate(url, name)
  }
}
