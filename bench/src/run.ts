// `pnpm bench [--quick] [--duration S] [--rounds N] [--connections N]`
//
// Each scenario's server runs in its own process while autocannon drives it from this one (two
// cores: one each). Scenarios are interleaved round by round so that drift of the machine hits
// them alike, and each row reports the median of its rounds. Every isc-triggers row is compared
// with the bare route of the same framework from the same run. A round that sees an error or a
// non-2xx reply fails the run: it would measure the wrong thing.
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { identityCreated, TOKEN } from './payloads.js'
import { scenarios } from './servers.js'
import { measureValidation, validationTable } from './validation.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '32' },
    'validation-only': { type: 'boolean', default: false },
  },
})
const quick = values.quick === true
const duration = Number(values.duration ?? (quick ? 1 : 5))
const rounds = Number(values.rounds ?? (quick ? 1 : 3))
const connections = Number(values.connections)
const warmupSeconds = quick ? 0.5 : 2

interface Sample {
  rps: number
  p50: number
  p99: number
  maxRssBytes: number
}

/** [bare row, isc-triggers row] per framework. */
const pairs: [string, string][] = [
  ['node:http bare', 'node:http isc-triggers'],
  ['express bare', 'express isc-triggers'],
  ['koa bare', 'koa isc-triggers'],
  ['nestjs bare', 'nestjs isc-triggers'],
]

async function start(name: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL('./server-process.ts', import.meta.url), [name], {
    // The servers load the built packages (dist), as users do.
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const [message] = (await once(child, 'message')) as [{ port: number }]
  return { child, port: message.port }
}

function load(port: number, seconds: number) {
  return autocannon({
    url: `http://127.0.0.1:${port}/isc/triggers/identity-created`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: identityCreated,
  })
}

async function measure(name: string): Promise<Sample> {
  const { child, port } = await start(name)
  try {
    await load(port, warmupSeconds)
    const result = await load(port, duration)
    if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0)
      throw new Error(
        `${name}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`,
      )
    child.send('report')
    const [report] = (await once(child, 'message')) as [{ maxRssBytes: number }]
    return {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      maxRssBytes: report.maxRssBytes,
    }
  } finally {
    child.kill()
    await once(child, 'exit')
  }
}

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

async function main() {
  process.stderr.write('in-process: handle() vs JSON.parse (+ safeParse) ...\n')
  const validation = validationTable(await measureValidation({ quick }))
  if (values['validation-only']) {
    console.log(validation.join('\n'))
    return
  }
  const names = pairs.flat()
  for (const name of names) if (!scenarios[name]) throw new Error(`no server for ${name}`)
  const samples = new Map<string, Sample[]>(names.map((name) => [name, []]))
  for (let round = 1; round <= rounds; round++) {
    for (const name of round % 2 ? names : [...names].reverse()) {
      process.stderr.write(`round ${round}/${rounds}: ${name} ...`)
      const sample = await measure(name)
      samples.get(name)!.push(sample)
      process.stderr.write(` ${Math.round(sample.rps)} req/s\n`)
    }
  }

  const summary = new Map(
    names.map((name) => {
      const runs = samples.get(name)!
      return [
        name,
        {
          rps: median(runs.map((s) => s.rps)),
          p50: median(runs.map((s) => s.p50)),
          p99: median(runs.map((s) => s.p99)),
          rssMiB: Math.max(...runs.map((s) => s.maxRssBytes)) / 1024 / 1024,
        },
      ]
    }),
  )
  const lines = [
    '| scenario | req/s | p50 ms | p99 ms | peak RSS MiB | throughput vs bare | p99 vs bare |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ]
  for (const [bare, ours] of pairs) {
    const b = summary.get(bare)!
    for (const name of [bare, ours]) {
      const s = summary.get(name)!
      const vs = name === bare ? ['1.00', '1.00'] : [(s.rps / b.rps).toFixed(2), (s.p99 / b.p99).toFixed(2)]
      lines.push(
        `| ${name} | ${Math.round(s.rps)} | ${s.p50} | ${s.p99} | ${s.rssMiB.toFixed(0)} | ${vs[0]}x | ${vs[1]}x |`,
      )
    }
  }
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
  const settings = `${rounds} round(s) of ${duration} s after ${warmupSeconds} s warm-up, ${connections} connections, payload idn:identity-created (${Buffer.byteLength(identityCreated)} bytes), bearer auth`
  console.log(`\n${machine}\n${settings}\n\n${lines.join('\n')}\n\n${validation.join('\n')}`)
  if (!quick) {
    writeFileSync(
      new URL('../../BENCHMARKS.md', import.meta.url),
      `# Benchmarks

Produced by \`pnpm bench\` (bench/src/run.ts); rerun it to refresh this file. Quick check: \`pnpm bench --quick\`.

## How to read it

Each server runs in its own process; autocannon drives it from the runner's process over loopback.
Rows are the median of interleaved rounds. "bare" rows are what a user writes by hand: read the body,
\`JSON.parse\` it (\`express.json()\` in Express) and compare the bearer token as a string, as SailPoint's
sample subscriber does. The isc-triggers rows do more per request: constant-time token comparison,
content-type and size checks, \`_metadata\` split, zod validation of the payload, and the typed handler
call. "vs bare" is the ratio to the bare row of the same framework in the same run (throughput: higher
is better; p99: lower is better). Absolute numbers depend on the machine; the ratios are what to compare.

## Last run

- Machine: ${machine}
- Date: ${new Date().toISOString().slice(0, 10)}
- Settings: ${settings}

${lines.join('\n')}

## In-process cost of one delivery

\`receiver.handle()\` (bearer check, content type, UTF-8 and JSON parse, \`_metadata\` split, validation,
handler call, reply) against \`JSON.parse\` alone and \`JSON.parse\` + the trigger schema's \`safeParse\`
on the same bytes, in one process; median of interleaved rounds. The last column is how much more
one \`handle()\` costs than parse + safeParse (lower is better; 1.00x would be free).

${validation.join('\n')}
`,
    )
    console.log('\nwritten to BENCHMARKS.md')
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
