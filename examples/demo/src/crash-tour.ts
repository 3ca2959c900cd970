// The crash tour of `pnpm demo`: examples/durable's web process and two workers on Redis, a
// stream of deliveries like ISC's, one worker SIGKILLed mid-stream, then the counts.
import { randomBytes, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { deliver, type FakeIsc, sampleInput, startFakeIsc } from '@isc-triggers/testing'
import { Queue } from 'bullmq'
import { startDurable, type TourProcess } from './tour-process.js'
import { tourRedis } from './tour-redis.js'
import { reportTour, type SentDelivery } from './tour-report.js'

const DELIVERIES = 100 // every fifth an ASYNC access request, the others identity-created events
const IN_FLIGHT = 4
const WORKER = { concurrency: 4, lockMs: 2_000, stalledMs: 1_000, workMs: 250 }
const TOKEN = randomBytes(18).toString('base64url')
const HANDLER_LINE = /identity-created: welcome|access-request-pre-approval: /

function send(base: string, isc: FakeIsc, i: number): Promise<SentDelivery> {
  if (i % 5 === 4) {
    const key = `ar-tour-${i}`
    const input = sampleInput('idn:access-request-pre-approval', {
      accessRequestId: key,
      requestedItems: [
        { id: `item-${i}`, name: i % 2 ? 'Payroll Read' : 'Prod Admin', type: 'ROLE', operation: 'Add' },
      ],
    })
    return deliver(base, 'idn:access-request-pre-approval', input, {
      bearer: TOKEN,
      mode: 'async',
      isc,
      timeoutMs: 60_000,
    }).then((reply) => {
      reply.completion?.catch(() => {}) // counted from isc.attempts instead
      return { kind: 'decision', key, status: reply.status, invocationId: reply.invocationId as string }
    })
  }
  const key = `e-${i}`
  const input = sampleInput('idn:identity-created', { identity: { id: key, name: `Employee ${i}` } })
  return deliver(base, 'idn:identity-created', input, { bearer: TOKEN }).then((reply) => ({
    kind: 'event',
    key,
    status: reply.status,
  }))
}

/** Sends the stream, IN_FLIGHT at a time; halfway, kills `victim` while it runs a handler. */
async function stream(base: string, isc: FakeIsc, victim: TourProcess): Promise<SentDelivery[]> {
  const sent: SentDelivery[] = []
  let next = 0
  const lane = async () => {
    while (next < DELIVERIES) {
      const i = next++
      if (i === DELIVERIES / 2) {
        // Kill it just as it starts a handler (or after 10 s if it gets no job), so that it dies with work in flight.
        const started = victim.waitFor(HANDLER_LINE, victim.lines.length).catch(() => undefined)
        const patience = new AbortController()
        const gaveUp = sleep(10_000, undefined, { signal: patience.signal }).catch(() => undefined)
        const seen = await Promise.race([started, gaveUp])
        patience.abort()
        victim.child.kill('SIGKILL')
        const acked = sent.filter((delivery) => delivery.status === 200).length
        const when = seen ? `just after it printed "${seen}"` : 'after 10 s without a new job'
        console.log(
          `  SIGKILL ${victim.name} (pid ${victim.child.pid}) after ${acked} acknowledged deliveries, ${when}`,
        )
      }
      sent[i] = await send(base, isc, i)
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
  return sent
}

/** Waits until every stored job has run to the end (the killed worker's ones taken over). */
async function drained(queue: Queue, jobs: number): Promise<boolean> {
  const until = Date.now() + 90_000 // a hang detector: past it, the tour fails
  while (Date.now() < until) {
    const counts = await queue.getJobCounts(
      'completed',
      'failed',
      'active',
      'waiting',
      'delayed',
      'prioritized',
    )
    const open =
      (counts.active ?? 0) + (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0)
    if (open === 0 && (counts.completed ?? 0) + (counts.failed ?? 0) >= jobs)
      return (counts.failed ?? 0) === 0
    await sleep(250)
  }
  return false
}

async function tour(redisUrl: string): Promise<number> {
  const isc = await startFakeIsc()
  const name = `crash-tour-${randomUUID().slice(0, 8)}`
  const queue = new Queue(name, { connection: { url: redisUrl } })
  const env = {
    ISC_TOKEN: TOKEN,
    ISC_JOB_KEY: randomBytes(32).toString('base64'),
    REDIS_URL: redisUrl,
    ISC_QUEUE: name,
    ISC_CALLBACK_ORIGINS: isc.origin,
    SIMULATED_WORK_MS: String(WORKER.workMs),
    WORKER_CONCURRENCY: String(WORKER.concurrency),
    WORKER_LOCK_MS: String(WORKER.lockMs),
    WORKER_STALLED_MS: String(WORKER.stalledMs),
    PORT: '0',
  }
  const web = startDurable('web', 'web.ts', env)
  const workers = [startDurable('worker 1', 'worker.ts', env), startDurable('worker 2', 'worker.ts', env)]
  try {
    const [listening] = await Promise.all([
      web.waitFor(/listening on \S+/),
      ...workers.map((worker) => worker.waitFor(/ready: queue/)),
    ])
    const base = /listening on (\S+)\/<trigger>/.exec(listening)?.[1] as string
    console.log(
      `  started web (pid ${web.child.pid}), worker 1 (pid ${workers[0]?.child.pid}), worker 2 (pid ${workers[1]?.child.pid})`,
    )
    console.log(
      `  sending ${DELIVERIES} deliveries like ISC, ${IN_FLIGHT} at a time: identity-created events and ASYNC access-request-pre-approval (callbacks to a fake ISC)`,
    )
    const sent = await stream(base, isc, workers[0] as TourProcess)
    const streamEnd = Date.now()
    const acknowledged = sent.filter((delivery) => delivery.status === 200).length
    const finished = await drained(queue, acknowledged)
    console.log(
      finished
        ? `  every job done ${((Date.now() - streamEnd) / 1000).toFixed(1)} s after the last delivery (worker 2 took over worker 1's unfinished jobs)`
        : '  NO: the jobs did not all complete within 90 s (or some failed)',
    )
    await Promise.all([web.stop(), ...workers.map((worker) => worker.stop())]) // all output read
    return reportTour(sent, workers, isc) + (finished ? 0 : 1)
  } finally {
    await Promise.all([web.stop('SIGKILL'), ...workers.map((worker) => worker.stop('SIGKILL'))])
    await queue.obliterate({ force: true }).catch(() => {})
    await queue.close()
    await isc.close()
  }
}

/**
 * The crash tour: returns its number of problems (0 when it is skipped for want of a Redis).
 *
 * @example
 * failures += await crashTour()
 */
export async function crashTour(): Promise<number> {
  console.log(
    '\nCrash tour: examples/durable, one web process and two workers on Redis; one worker is SIGKILLed mid-stream.',
  )
  const redis = await tourRedis().catch((error: Error) => error)
  if (redis instanceof Error) {
    console.log(`  NO: ${redis.message}`)
    return 1
  }
  if ('skipped' in redis) {
    console.log(`  Crash tour skipped: ${redis.skipped}`)
    return 0
  }
  console.log(`  Redis: ${redis.origin}`)
  console.log(
    `  workers: concurrency ${WORKER.concurrency}, lockDuration ${WORKER.lockMs} ms, stalledInterval ${WORKER.stalledMs} ms ` +
      `(short for the demo, defaults 30 000: a dead worker's jobs go back to the queue within seconds); each handler works ${WORKER.workMs} ms`,
  )
  try {
    return await tour(redis.url)
  } finally {
    await redis.stop()
  }
}
