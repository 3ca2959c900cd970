// `pnpm bench [--quick] [--duration S] [--rounds N] [--connections N] [--validation-only]
//   [--observability-only [--write]] [--observability-rounds N] [--only TEXT[,TEXT...]] [--jobs N]
//   [--worker-concurrency N]`
//
// Each scenario's server runs in its own process (built packages, as users load them) while
// autocannon drives it from this one over loopback: two cores, one each. Scenarios are interleaved
// round by round so drift of the machine hits them alike; each row is the median of its rounds.
// Every isc-triggers row is compared with the bare route of the same framework from the same run
// (the octokit row with the bare node:http limit); each queued row with the in-process
// isc-triggers row of its framework. A round that sees an error or a non-2xx reply fails the
// run: it would measure the wrong thing. The queued rows and the worker throughput need Redis
// (REDIS_URL, or a redis-server started for the run); without one they are skipped, with the
// reason printed. The observability rows (observability.ts) compare today's core, with nobody
// listening and with @isc-triggers/otel on, with the core of the commit before its tracing channels,
// built from git history (baseline.ts); without that history, or without a built
// @isc-triggers/otel, those rows are skipped with the reason printed.
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { baselineCore } from './baseline.js'
import { load, startServer } from './load.js'
import { measureMemory } from './memory.js'
import {
  BEFORE_COMMIT,
  costTable,
  type HandleSettings,
  measureHandle,
  OBSERVABILITY_PAYLOAD,
  OBSERVABILITY_SERVERS,
  type Round,
  roundOrder,
  VARIANTS,
  type Variant,
} from './observability.js'
import { otelUnavailable } from './otel-setup.js'
import { type Payload, payloads } from './payloads.js'
import { type AckRow, queuedBaselines, queuedMarkdown } from './queued-tables.js'
import { type BenchRedis, benchRedis, obliterate } from './redis.js'
import { benchmarksMarkdown, OBSERVABILITY_HEADING, observabilitySection } from './report.js'
import { scenarios } from './servers.js'
import { measureValidation, validationTable } from './validation.js'
import { measureWorkers, type WorkerRun } from './worker-throughput.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '32' },
    'validation-only': { type: 'boolean', default: false },
    // Only the observability rows (in process and node:http; prints, writes nothing), and their rounds.
    'observability-only': { type: 'boolean', default: false },
    'observability-rounds': { type: 'string' },
    // With --observability-only: also replace that section of BENCHMARKS.md.
    write: { type: 'boolean', default: false },
    // Only the scenarios whose name contains one of the comma-separated TEXTs, with their
    // baselines (prints, writes nothing). The worker throughput runs when a TEXT is in "queued workers".
    only: { type: 'string' },
    // Jobs per worker-throughput run, and each worker's concurrency.
    jobs: { type: 'string' },
    'worker-concurrency': { type: 'string', default: '16' },
  },
})
const quick = values.quick === true
const duration = Number(values.duration ?? (quick ? 0.5 : 2))
const rounds = Number(values.rounds ?? (quick ? 1 : 2))
const connections = Number(values.connections)
const warmupSeconds = quick ? 0.3 : 1
const jobs = Number(values.jobs ?? (quick ? 1_000 : 10_000))
const workerConcurrency = Number(values['worker-concurrency'])
// Short windows, many rounds: their targets (1%, 10%) are finer than the other rows' noise.
const observabilityRounds = Number(values['observability-rounds'] ?? (quick ? 1 : 10))
const observabilitySeconds = quick ? 0.5 : 1
// --quick (what CI runs: it fails only on a broken benchmark) loads every server with the first
// payload only; the others go through the same code, and CI's time budget is tight.
const measuredPayloads = quick ? payloads.slice(0, 1) : payloads

/** Each measured scenario and the row it is compared with. */
const baselines: Record<string, string> = {
  'node:http bare': 'node:http bare',
  'node:http isc-triggers': 'node:http bare',
  'fetch bare': 'fetch bare',
  'fetch isc-triggers': 'fetch bare',
  'octokit webhooks': 'node:http bare',
  'express bare': 'express bare',
  'express isc-triggers': 'express bare',
  'koa bare': 'koa bare',
  'koa isc-triggers': 'koa bare',
  'fastify bare': 'fastify bare',
  'fastify isc-triggers': 'fastify bare',
  'nestjs bare': 'nestjs bare',
  'nestjs isc-triggers': 'nestjs bare',
}
const only = values.only?.split(',').map((text) => text.trim())
/** The scenarios of `comparisons` (both sides) that --only selects: all without it. */
const wanted = (comparisons: Record<string, string>) =>
  [...new Set([...Object.keys(comparisons), ...Object.values(comparisons)])].filter(
    (name) =>
      only === undefined ||
      Object.entries(comparisons).some(
        ([scenario, baseline]) =>
          only.some((text) => scenario.includes(text)) && (name === scenario || name === baseline),
      ),
  )
/** The rows of the throughput tables. */
const names = wanted(baselines)
/** The queued rows and the in-process rows they are compared with. */
const queuedNames = wanted(queuedBaselines)
const runWorkers = only === undefined || only.some((text) => 'queued workers'.includes(text))
/** The observability rows run with --only when a TEXT is in one of their names or in "observability". */
const runObservability =
  only === undefined ||
  only.some((text) =>
    ['observability', ...Object.values(OBSERVABILITY_SERVERS)].some((name) => name.includes(text)),
  )

/** Every server to measure, each queued one right after its in-process row (none without Redis). */
function serversToMeasure(withQueued: boolean): string[] {
  const servers = [...new Set([...names, ...queuedNames.filter((name) => !(name in queuedBaselines))])]
  if (withQueued)
    for (const [queued, baseline] of Object.entries(queuedBaselines))
      if (queuedNames.includes(queued)) servers.splice(servers.indexOf(baseline) + 1, 0, queued)
  return servers
}

interface Sample {
  rps: number
  p50: number
  p99: number
  maxRssBytes: number
}

/** The queue the queued servers store into (emptied after each server), on the run's Redis. */
const ackQueue = `bench-ack-${randomUUID().slice(0, 8)}`

async function measure(name: string, samples: Map<string, Sample[]>, redisUrl: string): Promise<void> {
  const queued = name in queuedBaselines
  const env: Record<string, string> = queued ? { BENCH_REDIS_URL: redisUrl, BENCH_QUEUE_NAME: ackQueue } : {}
  const { child, port } = await startServer(name, env)
  try {
    // A queued server is measured on the fire-and-forget delivery only: the SYNC one is never
    // queued, and 100 KiB jobs would fill Redis with the bodies of every request.
    for (const payload of queued ? payloads.slice(0, 1) : measuredPayloads) {
      await load(name, port, payload, { seconds: warmupSeconds, connections })
      const result = await load(name, port, payload, { seconds: duration, connections })
      child.send('report')
      const [report] = (await once(child, 'message')) as [{ maxRssBytes: number }]
      samples.get(key(name, payload))!.push({ ...result, maxRssBytes: report.maxRssBytes })
    }
  } finally {
    child.kill()
    await once(child, 'exit')
    if (queued) await obliterate(redisUrl, ackQueue)
  }
}

const key = (name: string, payload: Payload) => `${name}|${payload.label}`
const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Installed versions, read from each package's package.json (found above its resolved entry). */
function versions(): string {
  const version = (name: string) => {
    try {
      let dir = dirname(fileURLToPath(import.meta.resolve(name)))
      while (dir !== dirname(dir)) {
        const file = join(dir, 'package.json')
        if (existsSync(file)) {
          const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
          if (pkg.name === name) return pkg.version ?? '?'
        }
        dir = dirname(dir)
      }
    } catch {}
    return '?'
  }
  return [
    'express',
    'koa',
    '@koa/router',
    '@koa/bodyparser',
    'fastify',
    '@nestjs/core',
    '@octokit/webhooks',
    'zod',
    'autocannon',
  ]
    .map((name) => `${name} ${version(name)}`)
    .join(', ')
}

function throughputTables(samples: Map<string, Sample[]>): string[] {
  const out: string[] = []
  if (names.length === 0) return out
  for (const payload of measuredPayloads) {
    out.push(
      `### ${payload.label} (${Buffer.byteLength(payload.body)} bytes)`,
      '',
      '| scenario | req/s | p50 ms | p99 ms | peak RSS MiB | throughput vs baseline | p99 vs baseline |',
      '|---|---:|---:|---:|---:|---:|---:|',
    )
    const summary = (name: string) => {
      const runs = samples.get(key(name, payload))!
      return {
        rps: median(runs.map((s) => s.rps)),
        p50: median(runs.map((s) => s.p50)),
        p99: median(runs.map((s) => s.p99)),
        rssMiB: Math.max(...runs.map((s) => s.maxRssBytes)) / 1024 / 1024,
      }
    }
    for (const name of names) {
      const s = summary(name)
      const base = summary(baselines[name]!)
      const vs =
        baselines[name] === name
          ? ['1.00x', '1.00x']
          : [`${(s.rps / base.rps).toFixed(2)}x (vs ${baselines[name]})`, `${(s.p99 / base.p99).toFixed(2)}x`]
      out.push(
        `| ${name} | ${Math.round(s.rps)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.rssMiB.toFixed(0)} | ${vs[0]} | ${vs[1]} |`,
      )
    }
    out.push('')
  }
  return out
}

/** The queued and in-process acknowledgement of the fire-and-forget delivery, per framework. */
function ackRows(samples: Map<string, Sample[]>, servers: string[]): AckRow[] {
  const figures = (name: string) => {
    const runs = samples.get(key(name, payloads[0]!))!
    return { rps: median(runs.map((s) => s.rps)), p99: median(runs.map((s) => s.p99)) }
  }
  return Object.entries(queuedBaselines)
    .filter(([queued]) => servers.includes(queued))
    .map(([queued, baseline]) => ({
      framework: queued.replace(/ queued$/, ''),
      inProcess: figures(baseline),
      queued: figures(queued),
    }))
}

/** Worker throughput with 1 and 2 worker processes, interleaved round by round. */
async function workerRuns(redisUrl: string): Promise<WorkerRun[]> {
  const runs: WorkerRun[] = []
  for (let round = 1; round <= rounds; round++)
    for (const workers of round % 2 ? [1, 2] : [2, 1]) {
      process.stderr.write(`round ${round}/${rounds}: ${jobs} jobs, ${workers} worker process(es)\n`)
      runs.push(await measureWorkers(redisUrl, { workers, jobs, concurrency: workerConcurrency }))
    }
  return runs
}

/** The CPU time a server process has used so far, in µs (server-process.ts answers "cpu"). */
async function serverCpuMicros(child: ChildProcess): Promise<number> {
  const answer = once(child, 'message') as Promise<[{ cpuMicros: number }]>
  child.send('cpu')
  return (await answer)[0].cpuMicros
}

/**
 * The observability tables: `receiver.handle()` in process, then node:http, each round measuring
 * the core of BEFORE_COMMIT, today's (twice: the second is the noise row) and today's with
 * @isc-triggers/otel on. A variant that cannot run is skipped with its reason printed.
 */
async function observabilityTables(): Promise<string[]> {
  const skipped: Partial<Record<Variant, string>> = {}
  const baseline = baselineCore(BEFORE_COMMIT)
  if ('skipped' in baseline) skipped.before = baseline.skipped
  // Read by the servers and in-process measurements of the "before" variant.
  else process.env.BENCH_BASELINE_CORE = baseline.entry
  const otel = await otelUnavailable()
  if (otel !== undefined) skipped.otel = otel
  // One round cannot tell noise from anything; --quick only checks that every variant runs.
  if (quick) skipped.again = 'not run with --quick'
  for (const [variant, reason] of Object.entries(skipped))
    process.stderr.write(`observability: the "${variant}" rows are skipped: ${reason}\n`)
  const variants = VARIANTS.filter((variant) => !(variant in skipped))
  const payload = OBSERVABILITY_PAYLOAD
  const label = `${payload.label} (${Buffer.byteLength(payload.body)} bytes)`
  // What else the machine was doing: these rows are meant to resolve a few percent.
  const busy = `The machine's load average when these rows started: ${loadavg()[0]!.toFixed(1)} (${cpus().length} cores).`

  const settings: HandleSettings = quick
    ? { warmupMs: 300, windowMs: 150 }
    : { warmupMs: 2000, windowMs: 500 }
  const handleRounds = await measureHandle(variants, observabilityRounds, settings)

  // node:http: every server started and warmed up once; each round loads each for one window.
  const started = await Promise.allSettled(
    variants.map(async (variant) => ({ variant, ...(await startServer(OBSERVABILITY_SERVERS[variant])) })),
  )
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  const httpRounds: Round[] = []
  try {
    for (const result of started) if (result.status === 'rejected') throw result.reason
    for (const { variant, port } of servers)
      await load(OBSERVABILITY_SERVERS[variant], port, payload, { seconds: warmupSeconds, connections })
    for (let round = 1; round <= observabilityRounds; round++) {
      process.stderr.write(`round ${round}/${observabilityRounds}: node:http ${variants.join(', ')}\n`)
      const measured: Round = {}
      for (const { variant, port, child } of roundOrder(servers, round)) {
        const cpuBefore = await serverCpuMicros(child)
        const result = await load(OBSERVABILITY_SERVERS[variant], port, payload, {
          seconds: observabilitySeconds,
          connections,
        })
        const cpuSeconds = ((await serverCpuMicros(child)) - cpuBefore) / 1e6
        measured[variant] = { rate: result.responses / cpuSeconds, wall: result.rps, p99: result.p99 }
      }
      httpRounds.push(measured)
    }
  } finally {
    for (const { child } of servers) child.kill()
    await Promise.all(
      servers.map(({ child }) =>
        child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined,
      ),
    )
  }
  return [
    busy,
    '',
    `### In process: \`receiver.handle()\`, ${label}`,
    '',
    `Each variant in a process of its own, warmed up for ${settings.warmupMs / 1000} s; ${observabilityRounds} ` +
      `round(s) of one ${settings.windowMs / 1000} s window per variant; one call at a time, yielding to the ` +
      'event loop every 200 calls.',
    '',
    ...costTable(handleRounds, { unit: 'calls', skipped, http: false, judged: !quick }),
    '',
    `### node:http: ${label}`,
    '',
    `Each server in a process of its own, warmed up for ${warmupSeconds} s; ${observabilityRounds} round(s) of one ` +
      `${observabilitySeconds} s window per server, ${connections} connections.`,
    '',
    ...costTable(httpRounds, { unit: 'requests', skipped, http: true, judged: !quick }),
    '',
  ]
}

/** The machine, as the reports name it. */
const machine = () =>
  `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
const today = () => new Date().toISOString().slice(0, 10)
const BENCHMARKS_MD = new URL('../../BENCHMARKS.md', import.meta.url)

/** BENCHMARKS.md with its observability section replaced by `section` (or added before "## Memory"). */
function withObservabilitySection(markdown: string, section: string): string {
  const start = markdown.indexOf(`${OBSERVABILITY_HEADING}\n`)
  if (start === -1) {
    const memory = markdown.indexOf('## Memory\n')
    if (memory === -1) throw new Error('BENCHMARKS.md has neither an observability nor a memory section')
    return `${markdown.slice(0, memory)}${section}\n${markdown.slice(memory)}`
  }
  const end = markdown.indexOf('\n## ', start + OBSERVABILITY_HEADING.length)
  return `${markdown.slice(0, start)}${section}${end === -1 ? '' : `\n${markdown.slice(end + 1)}`}`
}

async function main() {
  if (values['observability-only']) {
    const tables = await observabilityTables()
    console.log(tables.join('\n'))
    if (values.write && !quick) {
      const section = observabilitySection(tables, `${today()}, ${machine()} (with --observability-only)`)
      writeFileSync(BENCHMARKS_MD, withObservabilitySection(readFileSync(BENCHMARKS_MD, 'utf8'), section))
      console.log('\nwritten to BENCHMARKS.md (its observability section)')
    }
    return
  }
  process.stderr.write('in-process: handle() vs JSON.parse (+ safeParse) ...\n')
  const validation = validationTable(await measureValidation({ quick }))
  if (values['validation-only']) {
    console.log(validation.join('\n'))
    return
  }
  const wantsRedis = queuedNames.length > 0 || runWorkers
  const redis: BenchRedis = wantsRedis ? await benchRedis() : { skipped: 'not selected by --only' }
  if ('skipped' in redis && wantsRedis) process.stderr.write(`queued rows skipped: ${redis.skipped}\n`)
  const redisUrl = 'url' in redis ? redis.url : ''
  try {
    const servers = serversToMeasure(redisUrl !== '')
    for (const name of servers) if (!scenarios[name]) throw new Error(`no server for ${name}`)
    const samples = new Map<string, Sample[]>(
      servers.flatMap((name) => measuredPayloads.map((p) => [key(name, p), []])),
    )
    for (let round = 1; round <= rounds; round++) {
      for (const name of round % 2 ? servers : [...servers].reverse()) {
        process.stderr.write(`round ${round}/${rounds}: ${name}\n`)
        await measure(name, samples, redisUrl)
      }
    }
    const runs = redisUrl && runWorkers ? await workerRuns(redisUrl) : []
    const queued = queuedMarkdown({
      ack: ackRows(samples, servers),
      workers: runs,
      concurrency: workerConcurrency,
      skipped: 'skipped' in redis ? redis.skipped : undefined,
    })
    const observability = runObservability
      ? await observabilityTables()
      : ['(observability rows: skipped with --only)']
    const deliveries = quick ? 5_000 : 100_000
    process.stderr.write(`memory: ${deliveries} deliveries through the Express adapter ...\n`)
    const memory =
      only === undefined ? await measureMemory(deliveries) : { summary: '(memory: skipped with --only)' }

    const settings = `${rounds} round(s) of ${duration} s per payload after ${warmupSeconds} s warm-up, ${connections} connections`
    const tables = throughputTables(samples)
    console.log(
      `\n${machine()}\n${settings}\n\n${tables.join('\n')}\n${queued.join('\n')}\n\n${validation.join('\n')}\n\n` +
        `${observability.join('\n')}\n${memory.summary}`,
    )
    if (quick || only !== undefined) return
    writeFileSync(
      BENCHMARKS_MD,
      benchmarksMarkdown({
        machine: machine(),
        settings,
        versions: versions(),
        tables,
        queued,
        validation,
        observability: observabilitySection(observability, `${today()}, in this run`),
        memory: memory.summary,
      }),
    )
    console.log('\nwritten to BENCHMARKS.md')
  } finally {
    if ('stop' in redis) await redis.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
