// `pnpm bench [--quick] [--duration S] [--rounds N] [--connections N] [--validation-only] [--only TEXT]`
//
// Each scenario's server runs in its own process (built packages, as users load them) while
// autocannon drives it from this one over loopback: two cores, one each. Scenarios are interleaved
// round by round so drift of the machine hits them alike; each row is the median of its rounds.
// Every isc-triggers row is compared with the bare route of the same framework from the same run
// (the octokit row with the bare node:http limit). A round that sees an error or a
// non-2xx reply fails the run: it would measure the wrong thing.
import { type ChildProcess, fork } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { measureMemory } from './memory.js'
import { type Payload, payloads, TOKEN } from './payloads.js'
import { OCTOKIT_PATH, OCTOKIT_SECRET, scenarios } from './servers.js'
import { measureValidation, validationTable } from './validation.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '32' },
    'validation-only': { type: 'boolean', default: false },
    // Only the scenarios whose name contains TEXT, with their baselines (prints, writes nothing).
    only: { type: 'string' },
  },
})
const quick = values.quick === true
const duration = Number(values.duration ?? (quick ? 0.5 : 2))
const rounds = Number(values.rounds ?? (quick ? 1 : 2))
const connections = Number(values.connections)
const warmupSeconds = quick ? 0.3 : 1

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
  'nestjs bare': 'nestjs bare',
  'nestjs isc-triggers': 'nestjs bare',
}
const only = values.only
const names = Object.keys(baselines).filter(
  (name) =>
    only === undefined ||
    Object.entries(baselines).some(
      ([scenario, baseline]) => scenario.includes(only) && (name === scenario || name === baseline),
    ),
)

interface Sample {
  rps: number
  p50: number
  p99: number
  maxRssBytes: number
}

async function start(name: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL('./server-process.ts', import.meta.url), [name], {
    // The servers load the built packages (dist), as users do.
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const [message] = (await once(child, 'message')) as [{ port: number }]
  return { child, port: message.port }
}

/** Where and how a scenario receives a payload: ISC's bearer token, or octokit's signed headers. */
function request(name: string, port: number, payload: Payload) {
  if (name === 'octokit webhooks') {
    const signature = `sha256=${createHmac('sha256', OCTOKIT_SECRET).update(payload.body).digest('hex')}`
    return {
      url: `http://127.0.0.1:${port}${OCTOKIT_PATH}`,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        'x-hub-signature-256': signature,
      },
    }
  }
  return {
    url: `http://127.0.0.1:${port}/isc/triggers/${payload.trigger}`,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
  }
}

/** The value below which `share` of the (ascending) `sorted` latencies lie. */
function percentile(sorted: Float64Array, share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? 0
}

/**
 * Runs autocannon; latencies are taken from each response's own timing (fractions of a millisecond),
 * not from autocannon's histogram, which records whole milliseconds.
 */
async function load(name: string, port: number, payload: Payload, seconds: number) {
  const { url, headers } = request(name, port, payload)
  const latencies: number[] = []
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, method: 'POST', connections, duration: seconds, headers, body: payload.body },
      (error, done) => (error ? reject(error) : resolve(done)),
    )
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime))
  })
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0)
    throw new Error(
      `${name} / ${payload.label}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`,
    )
  const sorted = Float64Array.from(latencies).sort()
  return { rps: result.requests.average, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) }
}

async function measure(name: string, samples: Map<string, Sample[]>): Promise<void> {
  const { child, port } = await start(name)
  try {
    for (const payload of payloads) {
      await load(name, port, payload, warmupSeconds)
      const result = await load(name, port, payload, duration)
      child.send('report')
      const [report] = (await once(child, 'message')) as [{ maxRssBytes: number }]
      samples.get(key(name, payload))!.push({ ...result, maxRssBytes: report.maxRssBytes })
    }
  } finally {
    child.kill()
    await once(child, 'exit')
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
  for (const payload of payloads) {
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

async function main() {
  process.stderr.write('in-process: handle() vs JSON.parse (+ safeParse) ...\n')
  const validation = validationTable(await measureValidation({ quick }))
  if (values['validation-only']) {
    console.log(validation.join('\n'))
    return
  }
  for (const name of names) if (!scenarios[name]) throw new Error(`no server for ${name}`)
  const samples = new Map<string, Sample[]>(names.flatMap((name) => payloads.map((p) => [key(name, p), []])))
  for (let round = 1; round <= rounds; round++) {
    for (const name of round % 2 ? names : [...names].reverse()) {
      process.stderr.write(`round ${round}/${rounds}: ${name}\n`)
      await measure(name, samples)
    }
  }
  const deliveries = quick ? 5_000 : 100_000
  process.stderr.write(`memory: ${deliveries} deliveries through the Express adapter ...\n`)
  const memory =
    only === undefined ? await measureMemory(deliveries) : { summary: '(memory: skipped with --only)' }

  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
  const settings = `${rounds} round(s) of ${duration} s per payload after ${warmupSeconds} s warm-up, ${connections} connections`
  const tables = throughputTables(samples)
  console.log(
    `\n${machine}\n${settings}\n\n${tables.join('\n')}\n${validation.join('\n')}\n\n${memory.summary}`,
  )
  if (quick || only !== undefined) return
  writeFileSync(
    new URL('../../BENCHMARKS.md', import.meta.url),
    `# Benchmarks

Produced by \`pnpm bench\` (bench/src/run.ts, about four minutes); rerun it to refresh this file.
\`pnpm bench --quick\` runs every scenario briefly (CI does, to catch a broken benchmark, not to measure).

## How to read it

Each server runs in its own process, from the built packages; autocannon drives it from the runner's
process over loopback (two cores: one each). Rows are the median of interleaved rounds. "bare" rows
are what a user writes by hand: read the body, \`JSON.parse\` it (\`express.json()\`, \`@koa/bodyparser\`,
Nest's parser) and compare the bearer token as a string, as SailPoint's sample subscriber does, and
answer \`{}\` (or the decision, for the SYNC trigger). The isc-triggers rows do more per request:
constant-time token comparison, content-type and size checks, \`_metadata\` split, validation of the
payload (the trigger's zod schema compiled once with zod's public \`z.compile()\`),
the typed handler call, and for the SYNC trigger validation of the decision. The "fetch"
rows are Fetch-API handlers behind a node:http server that converts each request to a Web \`Request\`
(as Fetch runtimes' Node adapters do): "fetch bare" calls \`request.json()\` and compares the token,
"fetch isc-triggers" is \`receiver.fetch()\`.
"octokit webhooks" is the peer: \`@octokit/webhooks\`' \`createNodeMiddleware\` verifying an HMAC-SHA256
over the same body. "vs baseline" is the ratio to the row named (throughput: higher is better; p99:
lower is better). Absolute numbers depend on the machine; compare the ratios. Latencies are each
response's own time as the runner saw it (to the microsecond; autocannon's own histogram keeps whole
milliseconds), taken over every response of a round; the table shows the median of rounds.
Two-second windows on two shared cores are noisy: throughput moves by about ±5% between runs, and a
p99 more (one GC pause or scheduling hiccup in a round shows there).

## Last run

- Machine: ${machine}
- Date: ${new Date().toISOString().slice(0, 10)}
- Versions: ${versions()}
- Settings: ${settings}

${tables.join('\n')}
## In-process cost of one delivery

\`receiver.handle()\` (bearer check, content type, UTF-8 and JSON parse, \`_metadata\` split, validation,
handler call, reply) against \`JSON.parse\` alone and \`JSON.parse\` + the trigger schema's \`safeParse\` on
the same bytes, in one process; median of interleaved rounds. The last column is how much more one
\`handle()\` costs than parse + safeParse (lower is better; 1.00x would be free).

${validation.join('\n')}

## Memory

${memory.summary}

## What bounds the figures

Profiles (\`node --cpu-prof\` on a server process under autocannon) of the plain \`node:http\` rows:

- Small deliveries: most of the time is the kernel's (\`writev\` of the reply over loopback) and
  Node's HTTP machinery, which bare servers pay too. The receiver's own work is \`JSON.parse\` (as
  bare), the compiled zod parse, the prototype-key walk, the constant-time token comparison
  (\`timingSafeEqual\`, about 0.2 µs) and the reply. Removed after profiling: SHA-256 of each token
  (about 1 µs), a timer per body read (now one per receiver), promise hops between reading,
  dispatching and writing, an object literal with a getter per SYNC context (0.5 µs), and zod
  records for attribute maps (0.6 µs on \`idn:identity-created\`).
- 100 KiB deliveries: \`JSON.parse\` is about two thirds of the time (as bare). Validation is zod's
  compiled parse (\`z.compile()\`), which builds the output object as zod's parse does but without
  its per-key schema calls; \`pnpm bench --validation-only\` shows its in-process cost. The walk
  for \`__proto__\` keys takes about 25 µs; a text search cannot replace it, since words such as
  "constructor" are slow to search for in JSON.
- In process, \`handle()\` on \`idn:identity-created\` costs about 1.4 µs more than \`JSON.parse\` +
  \`safeParse\` of the same bytes: the token comparison, UTF-8 check, prototype walk, headers,
  \`_metadata\` split, the reply and its promise. The ratio is high because that body is small and
  its schema cheap to check; on the largest sample (\`idn:account-updated\`) it is about 1.0x.

To look again: \`pnpm bench --only "node:http"\` runs the matching rows and their baselines (prints,
writes nothing); profile one server with \`node --cpu-prof\`.
`,
  )
  console.log('\nwritten to BENCHMARKS.md')
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
