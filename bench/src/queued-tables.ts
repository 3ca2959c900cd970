// The durable-delivery tables: acknowledgement of the queued path against the in-process one
// (same framework, same run), and worker throughput with 1 and 2 worker processes.
import { payloads } from './payloads.js'
import type { WorkerRun } from './worker-throughput.js'

/** Each queued scenario and the in-process scenario it is compared with. */
export const queuedBaselines: Record<string, string> = {
  'node:http queued': 'node:http isc-triggers',
  'express queued': 'express isc-triggers',
}

/** The target for the queued acknowledgement, relative to the in-process path. */
const TARGET = { throughput: 0.5, p99: 2 }

/** One framework's acknowledgement figures (medians of rounds). */
export interface AckRow {
  framework: string
  inProcess: { rps: number; p99: number }
  queued: { rps: number; p99: number }
}

/** Markdown rows: req/s and p99 of both paths and their ratios (queued / in-process). */
export function ackTable(rows: AckRow[]): string[] {
  const out = [
    '| framework | in-process req/s | queued req/s | throughput queued / in-process | in-process p99 ms | queued p99 ms | p99 queued / in-process |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ]
  for (const { framework, inProcess, queued } of rows) {
    const throughput = queued.rps / inProcess.rps
    const p99 = queued.p99 / inProcess.p99
    const mark = (met: boolean) => (met ? '' : ' (target missed)')
    out.push(
      `| ${framework} | ${Math.round(inProcess.rps)} | ${Math.round(queued.rps)} | ` +
        `${throughput.toFixed(2)}x${mark(throughput >= TARGET.throughput)} | ${inProcess.p99.toFixed(2)} | ` +
        `${queued.p99.toFixed(2)} | ${p99.toFixed(2)}x${mark(p99 <= TARGET.p99)} |`,
    )
  }
  out.push(
    '',
    `Target: throughput at least ${TARGET.throughput.toFixed(2)}x and p99 at most ${TARGET.p99.toFixed(2)}x the in-process path.`,
  )
  return out
}

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Markdown rows: jobs/s per number of worker processes (median of rounds), and the scaling. */
export function workerTable(runs: WorkerRun[], concurrency: number): string[] {
  const counts = [...new Set(runs.map((run) => run.workers))].sort((a, b) => a - b)
  const rate = (workers: number) =>
    median(runs.filter((run) => run.workers === workers).map((run) => run.jobsPerSecond))
  const out = [
    '| worker processes | concurrency each | jobs per run | seconds (median) | jobs/s | vs 1 worker |',
    '|---:|---:|---:|---:|---:|---:|',
  ]
  for (const workers of counts) {
    const mine = runs.filter((run) => run.workers === workers)
    out.push(
      `| ${workers} | ${concurrency} | ${mine[0]!.jobs} | ${median(mine.map((run) => run.seconds)).toFixed(2)} | ` +
        `${Math.round(rate(workers))} | ${(rate(workers) / rate(counts[0]!)).toFixed(2)}x |`,
    )
  }
  return out
}

/**
 * The durable-delivery subsections: the acknowledgement table, the worker table, or why they
 * were skipped (no Redis).
 *
 * @example
 * queuedMarkdown({ ack: rows, workers: runs, concurrency: 16, skipped: undefined }).join('\n')
 */
export function queuedMarkdown({
  ack,
  workers,
  concurrency,
  skipped,
}: {
  ack: AckRow[]
  workers: WorkerRun[]
  concurrency: number
  skipped: string | undefined
}): string[] {
  const payload = payloads[0]!
  if (skipped !== undefined) return [`(queued rows and worker throughput skipped: ${skipped})`]
  const out: string[] = []
  if (ack.length > 0)
    out.push(
      `### Acknowledgement, queued vs in process: ${payload.label} (${Buffer.byteLength(payload.body)} bytes)`,
      '',
      ...ackTable(ack),
      '',
    )
  if (workers.length > 0)
    out.push(
      `### Worker throughput: ${payload.label}, trivial handler`,
      '',
      ...workerTable(workers, concurrency),
      '',
    )
  return out
}
