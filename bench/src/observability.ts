// What observability costs (issue 17): today's core with nobody listening on its tracing channels
// against the core of the commit before them (bench/src/baseline.ts), and today's core with
// @isc-triggers/otel on (bench/src/otel-setup.ts), in process (`receiver.handle()`) and behind
// node:http. Each ratio is taken within one round; the tables give the median of the rounds'
// ratios and their lowest and highest, beside the ratio of two processes of the same code (noise).
import { fork } from 'node:child_process'
import { once } from 'node:events'
import type { TriggerRequest } from '@isc-triggers/core'
import { payloads, TOKEN } from './payloads.js'

/** The commit before the tracing channels (1a0cdb9 added them). */
export const BEFORE_COMMIT = '59ebb0a'

/** The four variants each round measures; `again` is `now` once more, in a process of its own. */
export type Variant = 'before' | 'now' | 'again' | 'otel'
export const VARIANTS: Variant[] = ['before', 'now', 'again', 'otel']

/** The node:http scenario of each variant (bench/src/servers-observability.ts). */
export const OBSERVABILITY_SERVERS: Record<Variant, string> = {
  before: `node:http isc-triggers (${BEFORE_COMMIT})`,
  now: 'node:http isc-triggers',
  again: 'node:http isc-triggers, second process',
  otel: 'node:http isc-triggers + otel',
}

/** The in-process variants as the table names them. */
const HANDLE_LABELS: Record<Variant, string> = {
  before: `core ${BEFORE_COMMIT} (before the channels)`,
  now: 'core today, nobody listening',
  again: 'core today, nobody listening, second process',
  otel: 'core today + @isc-triggers/otel',
}

/** Each comparison: `of` against `vs`, and the target for the ratio (none for noise). */
const COMPARISONS: { of: Variant; vs: Variant; target?: number }[] = [
  { of: 'now', vs: 'before', target: 0.99 },
  { of: 'again', vs: 'now' },
  { of: 'otel', vs: 'now', target: 0.9 },
]

/** The payload of both tables: the 212-byte fire-and-forget delivery. */
export const OBSERVABILITY_PAYLOAD = payloads[0]!

/** How long one in-process measurement runs. */
export interface HandleSettings {
  warmupMs: number
  windowMs: number
  /** Windows after the warm-up; the process reports their median. */
  windows: number
}

/** What a round measured: a figure per variant that ran (ops/s or req/s), and a p99 for HTTP. */
export type Round = Partial<Record<Variant, { rate: number; p99?: number }>>

export const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The request every in-process variant handles: the benchmark's fire-and-forget delivery. */
export function handleRequest(): TriggerRequest {
  return {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: Buffer.from(OBSERVABILITY_PAYLOAD.body),
    trigger: OBSERVABILITY_PAYLOAD.trigger,
  }
}

/** The variants in a round's order: as given in odd rounds, reversed in even ones. */
export const roundOrder = <T>(items: T[], round: number) => (round % 2 ? items : [...items].reverse())

/** One variant's measurement in a fresh process (handle-process.ts). */
async function handleOnce(variant: Variant, settings: HandleSettings): Promise<number> {
  const child = fork(new URL('./handle-process.ts', import.meta.url), [variant, JSON.stringify(settings)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = once(child, 'exit')
  const report = await new Promise<{ opsPerSecond: number; spans: number; metricPoints: number }>(
    (resolve, reject) => {
      child.once('message', resolve as (message: unknown) => void)
      child.once('exit', (code) => reject(new Error(`handle() ${variant}: the process exited (${code})`)))
    },
  )
  await exited
  if (variant === 'otel' && (report.spans === 0 || report.metricPoints === 0))
    throw new Error(
      `handle() with otel on: ${report.spans} spans and ${report.metricPoints} metric points reached the ` +
        'exporters; is packages/core/dist older than its tracing channels? (pnpm build)',
    )
  return report.opsPerSecond
}

/**
 * In-process `receiver.handle()` rounds: each variant in a fresh process per round, in alternating
 * order. `BENCH_BASELINE_CORE` must name the earlier core's entry when `before` is among `variants`.
 *
 * @example
 * const rounds = await measureHandle(['before', 'now', 'again'], 6, { warmupMs: 1000, windowMs: 300, windows: 5 })
 */
export async function measureHandle(
  variants: Variant[],
  rounds: number,
  settings: HandleSettings,
): Promise<Round[]> {
  const out: Round[] = []
  for (let round = 1; round <= rounds; round++) {
    const measured: Round = {}
    for (const variant of roundOrder(variants, round)) {
      process.stderr.write(`round ${round}/${rounds}: handle() ${HANDLE_LABELS[variant]}\n`)
      measured[variant] = { rate: await handleOnce(variant, settings) }
    }
    out.push(measured)
  }
  return out
}

/** How a ratio stands against its target, from the median and the range of the rounds' ratios. */
function verdict(target: number, ratios: number[]): string {
  const mid = median(ratios)
  const low = Math.min(...ratios)
  const high = Math.max(...ratios)
  if (low >= target) return 'met in every round'
  if (mid >= target) return 'met by the median (not in every round)'
  if (high >= target) return 'not shown (median below; some rounds reach it)'
  return 'missed in every round'
}

const x = (ratio: number) => `${ratio.toFixed(3)}x`

/** How {@link costTable} names and judges its rows. */
export interface CostTableOptions {
  /** The figure's unit, e.g. `req/s`. */
  unit: string
  /** Why a variant did not run. */
  skipped: Partial<Record<Variant, string>>
  /** node:http rows (scenario names, a p99 column) rather than in-process ones. */
  http: boolean
  /** False for a --quick run: its figures check that every variant runs, they measure nothing. */
  judged: boolean
}

/**
 * The markdown table of one series: a row per variant that ran, with its compared ratio.
 *
 * @example
 * costTable(rounds, { unit: 'req/s', skipped: {}, http: true, judged: true }).join('\n')
 */
export function costTable(rounds: Round[], { unit, skipped, http, judged }: CostTableOptions): string[] {
  const label = (variant: Variant) => (http ? OBSERVABILITY_SERVERS[variant] : HANDLE_LABELS[variant])
  const out = [
    `| variant | ${unit} (median) | lowest – highest | ${http ? 'p99 ms (median) | ' : ''}compared with | ratio (median of rounds) | ratio lowest – highest | target | verdict |`,
    `|---|---:|---:|${http ? '---:|' : ''}---|---:|---:|---:|---|`,
  ]
  const figures = (variant: Variant) => rounds.flatMap((round) => (round[variant] ? [round[variant]] : []))
  for (const variant of VARIANTS) {
    const mine = figures(variant)
    if (mine.length === 0) {
      out.push(`| ${label(variant)} | skipped: ${skipped[variant] ?? 'not run'} |`)
      continue
    }
    const rates = mine.map((figure) => figure.rate)
    const cells = [
      label(variant),
      String(Math.round(median(rates))),
      `${Math.round(Math.min(...rates))} – ${Math.round(Math.max(...rates))}`,
    ]
    if (http) cells.push(median(mine.map((figure) => figure.p99 ?? 0)).toFixed(2))
    const comparison = COMPARISONS.find((c) => c.of === variant)
    const ratios = comparison
      ? rounds.flatMap((round) => {
          const of = round[comparison.of]
          const vs = round[comparison.vs]
          return of && vs ? [of.rate / vs.rate] : []
        })
      : []
    if (!comparison || ratios.length === 0) cells.push('', '', '', '', '')
    else
      cells.push(
        label(comparison.vs),
        x(median(ratios)),
        `${x(Math.min(...ratios))} – ${x(Math.max(...ratios))}`,
        comparison.target === undefined ? 'noise' : `≥ ${comparison.target.toFixed(2)}x`,
        comparison.target === undefined
          ? ''
          : judged
            ? verdict(comparison.target, ratios)
            : 'not judged (--quick)',
      )
    out.push(`| ${cells.join(' | ')} |`)
  }
  return out
}
