// What observability costs (issue 17): today's core with nobody listening on its tracing channels
// against the core of the commit before them (bench/src/baseline.ts), and today's core with
// @isc-triggers/otel on (bench/src/otel-setup.ts), in process (`receiver.handle()`) and behind
// node:http. Each variant runs in a process of its own, started once; a round asks each in turn for
// one short window. Each ratio is taken within one round; the tables give the median of the
// rounds' ratios and their lowest and highest, beside the ratio of two processes of the same code
// (noise).
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import type { TriggerRequest } from '@isc-triggers/core'
import { payloads, TOKEN } from './payloads.js'

/** The commit before the tracing channels (1a0cdb9 added them). */
export const BEFORE_COMMIT = '59ebb0a'

/**
 * The variants each round measures; `again` is `now` once more, in a process of its own; `context`
 * is `now` with each delivery run inside `context.with` of OpenTelemetry's AsyncLocalStorage context
 * manager, as an app's HTTP instrumentation runs each request (before @isc-triggers/otel adds anything).
 */
export type Variant = 'before' | 'now' | 'again' | 'context' | 'otel'
export const VARIANTS: Variant[] = ['before', 'now', 'again', 'context', 'otel']

/** The node:http scenario of each variant (bench/src/servers-observability.ts). */
export const OBSERVABILITY_SERVERS: Record<Variant, string> = {
  before: `node:http isc-triggers (${BEFORE_COMMIT})`,
  now: 'node:http isc-triggers',
  again: 'node:http isc-triggers, second process',
  context: 'node:http isc-triggers, each request in an OpenTelemetry context',
  otel: 'node:http isc-triggers + otel',
}

/** The in-process variants as the table names them. */
const HANDLE_LABELS: Record<Variant, string> = {
  before: `core ${BEFORE_COMMIT} (before the channels)`,
  now: 'core today, nobody listening',
  again: 'core today, nobody listening, second process',
  context: 'core today, each call in an OpenTelemetry context',
  otel: 'core today + @isc-triggers/otel',
}

/** Each comparison: `of` against `vs`, and the target for the ratio (none for noise). */
const COMPARISONS: { of: Variant; vs: Variant; target?: number }[] = [
  { of: 'now', vs: 'before', target: 0.99 },
  { of: 'again', vs: 'now' },
  { of: 'context', vs: 'now' },
  { of: 'otel', vs: 'now', target: 0.9 },
]

/** The payload of both tables: the 212-byte fire-and-forget delivery. */
export const OBSERVABILITY_PAYLOAD = payloads[0]!

/** How long the in-process measurements run. */
export interface HandleSettings {
  /** Each process's warm-up, before the first round. */
  warmupMs: number
  /** One variant's window in a round. */
  windowMs: number
}

/** What the runner asks a handle-process: one window of `measure` ms, or to finish. */
export type HandleMessage = { measure: number } | { finish: true }

/** One in-process window: handle() calls per second, and per CPU-second of the process. */
export interface HandleWindow {
  perSecond: number
  perCpuSecond: number
}

/**
 * What a round measured, per variant that ran: deliveries per CPU-second of the receiving process
 * (`rate`, what the ratios compare), deliveries per second (`wall`), and a p99 in ms for HTTP.
 */
export type Round = Partial<Record<Variant, { rate: number; wall: number; p99?: number }>>

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

/** A variant's handle-process (handle-process.ts), idle between the windows it is asked for. */
class HandleProcess {
  readonly #child: ChildProcess
  readonly #exited: Promise<unknown>

  constructor(readonly variant: Variant) {
    this.#child = fork(new URL('./handle-process.ts', import.meta.url), [variant], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.#exited = once(this.#child, 'exit')
  }

  /** The next message from the process; rejects if it exits first (it failed: see its stderr). */
  #next<T>(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`handle() ${this.variant}: the process exited (${code})`))
      this.#child.once('exit', onExit)
      this.#child.once('message', (message) => {
        this.#child.off('exit', onExit)
        resolve(message as T)
      })
    })
  }

  ready(): Promise<unknown> {
    return this.#next()
  }

  async measure(ms: number): Promise<HandleWindow> {
    const answer = this.#next<HandleWindow>()
    this.#child.send({ measure: ms } satisfies HandleMessage)
    return answer
  }

  /** Ends the process, with what reached its exporters (otel on) checked. */
  async finish(): Promise<void> {
    const answer = this.#next<{ spans: number; metricPoints: number }>()
    this.#child.send({ finish: true } satisfies HandleMessage)
    const { spans, metricPoints } = await answer
    await this.#exited
    if (this.variant === 'otel' && (spans === 0 || metricPoints === 0))
      throw new Error(
        `handle() with otel on: ${spans} spans and ${metricPoints} metric points reached the exporters; ` +
          'is packages/core/dist older than its tracing channels? (pnpm build)',
      )
  }

  kill(): void {
    this.#child.kill()
  }
}

/**
 * In-process `receiver.handle()` rounds: each variant in a process of its own, started once and
 * warmed up; each round asks every variant for one window, one after the other (alternating the
 * order), so a change of the machine's load falls on the variants of a round alike.
 * `BENCH_BASELINE_CORE` must name the earlier core's entry when `before` is among `variants`.
 *
 * @example
 * const rounds = await measureHandle(['before', 'now', 'again'], 10, { warmupMs: 1000, windowMs: 500 })
 */
export async function measureHandle(
  variants: Variant[],
  rounds: number,
  settings: HandleSettings,
): Promise<Round[]> {
  const processes = variants.map((variant) => new HandleProcess(variant))
  try {
    await Promise.all(processes.map((child) => child.ready()))
    for (const child of processes) await child.measure(settings.warmupMs)
    const out: Round[] = []
    for (let round = 1; round <= rounds; round++) {
      process.stderr.write(`round ${round}/${rounds}: handle() ${variants.join(', ')}\n`)
      const measured: Round = {}
      for (const child of roundOrder(processes, round)) {
        const { perSecond, perCpuSecond } = await child.measure(settings.windowMs)
        measured[child.variant] = { rate: perCpuSecond, wall: perSecond }
      }
      out.push(measured)
    }
    for (const child of processes) await child.finish()
    return out
  } finally {
    for (const child of processes) child.kill()
  }
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
  /** What is counted, e.g. `requests`. */
  unit: string
  /** Why a variant did not run. */
  skipped: Partial<Record<Variant, string>>
  /** node:http rows (scenario names, a p99 column) rather than in-process ones. */
  http: boolean
  /** False for a --quick run: its figures check that every variant runs, they measure nothing. */
  judged: boolean
}

/**
 * The markdown table of one series: a row per variant that ran, with its compared ratios (per
 * CPU-second, judged against the target, and per second of wall clock).
 *
 * @example
 * costTable(rounds, { unit: 'requests', skipped: {}, http: true, judged: true }).join('\n')
 */
export function costTable(rounds: Round[], { unit, skipped, http, judged }: CostTableOptions): string[] {
  const label = (variant: Variant) => (http ? OBSERVABILITY_SERVERS[variant] : HANDLE_LABELS[variant])
  const out = [
    `| variant | ${unit} per CPU-second (median) | lowest – highest | ${unit} per second (median) | ` +
      `${http ? 'p99 ms (median) | ' : ''}compared with | ratio per CPU-second (median of rounds) | ` +
      'lowest – highest | ratio per second (median) | target | verdict |',
    `|---|---:|---:|---:|${http ? '---:|' : ''}---|---:|---:|---:|---:|---|`,
  ]
  const figures = (variant: Variant) => rounds.flatMap((round) => (round[variant] ? [round[variant]] : []))
  const ratiosOf = (of: Variant, vs: Variant, figure: 'rate' | 'wall') =>
    rounds.flatMap((round) => {
      const mine = round[of]
      const theirs = round[vs]
      return mine && theirs ? [mine[figure] / theirs[figure]] : []
    })
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
      String(Math.round(median(mine.map((figure) => figure.wall)))),
    ]
    if (http) cells.push(median(mine.map((figure) => figure.p99 ?? 0)).toFixed(2))
    const comparison = COMPARISONS.find((c) => c.of === variant)
    const ratios = comparison ? ratiosOf(comparison.of, comparison.vs, 'rate') : []
    if (!comparison || ratios.length === 0) cells.push('', '', '', '', '', '')
    else {
      const { target } = comparison
      cells.push(
        label(comparison.vs),
        x(median(ratios)),
        `${x(Math.min(...ratios))} – ${x(Math.max(...ratios))}`,
        x(median(ratiosOf(comparison.of, comparison.vs, 'wall'))),
        target === undefined ? 'noise' : `≥ ${target.toFixed(2)}x`,
        target === undefined ? '' : judged ? verdict(target, ratios) : 'not judged (--quick)',
      )
    }
    out.push(`| ${cells.join(' | ')} |`)
  }
  return out
}
