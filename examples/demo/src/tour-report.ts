// The crash tour's tally: what the workers printed and what the fake ISC received, against what
// was acknowledged.
import type { FakeIsc } from '@isc-triggers/testing'
import type { TourProcess } from './tour-process.js'

/** One delivery of the stream and ISC's view of it. */
export interface SentDelivery {
  kind: 'event' | 'decision'
  /** The identity id (event) or access request id (decision) the handler prints. */
  key: string
  status: number
  invocationId?: string
}

const HANDLED_EVENT = /identity-created: welcome .* \(([^)]+)\)$/
const DECIDED = /access-request-pre-approval: (\S+) (?:approved|denied)$/

function countBy(workers: TourProcess[], pattern: RegExp): Map<string, string[]> {
  const seen = new Map<string, string[]>()
  for (const worker of workers)
    for (const line of worker.lines) {
      const key = pattern.exec(line)?.[1]
      if (key) seen.set(key, [...(seen.get(key) ?? []), worker.name])
    }
  return seen
}

const line = (label: string, value: string, note = '') =>
  console.log(`  ${label.padEnd(46)}${value.padEnd(12)}${note}`.trimEnd())
const sample = (keys: string[]) => `${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', ...' : ''}`

/**
 * Prints the counts and returns the number of problems: a delivery not acknowledged, an
 * acknowledged event no handler ran, or a decision not completed exactly once at ISC.
 *
 * @example
 * failures += reportTour(sent, [worker1, worker2], isc)
 */
export function reportTour(sent: SentDelivery[], workers: TourProcess[], isc: FakeIsc): number {
  const acknowledged = sent.filter((delivery) => delivery.status === 200)
  const events = acknowledged.filter((delivery) => delivery.kind === 'event')
  const decisions = acknowledged.filter((delivery) => delivery.kind === 'decision')
  const handled = countBy(workers, HANDLED_EVENT)
  const decided = countBy(workers, DECIDED)
  const missing = events.filter((event) => !handled.has(event.key)).map((event) => event.key)
  const twice = events.filter((event) => (handled.get(event.key)?.length ?? 0) > 1).map((event) => event.key)
  const redecided = decisions.filter((d) => (decided.get(d.key)?.length ?? 0) > 1).length
  let accepted = 0
  let acceptedTwice = 0
  let refused = 0
  const notOnce: string[] = []
  for (const decision of decisions) {
    const attempts = isc.attempts.filter((attempt) => attempt.invocationId === decision.invocationId)
    const ok = attempts.filter((attempt) => attempt.status === 204).length
    accepted += Math.min(ok, 1)
    acceptedTwice += Math.max(ok - 1, 0)
    refused += attempts.filter((attempt) => attempt.status === 400).length
    if (ok !== 1) notOnce.push(decision.key)
  }

  console.log('')
  line('deliveries acknowledged (200)', `${acknowledged.length} of ${sent.length}`)
  line(
    'events handled (distinct)',
    `${events.length - missing.length} of ${events.length}`,
    missing.length ? `NO: never handled: ${sample(missing)}` : '',
  )
  line(
    'events handled twice (at-least-once)',
    String(twice.length),
    twice.length
      ? `${sample(twice)}: rerun after the crash; handlers must be idempotent`
      : 'none this time (a rerun is allowed)',
  )
  line(
    'ASYNC decisions completed at the fake ISC',
    `${accepted} of ${decisions.length}`,
    notOnce.length ? `NO: not completed exactly once: ${sample(notOnce)}` : 'each exactly once',
  )
  line(
    'duplicate decisions ISC accepted',
    String(acceptedTwice),
    `(${refused} re-sent callback(s) refused as already completed; ${redecided} ASYNC handler(s) ran twice)`,
  )
  for (const worker of workers) {
    const count = [...handled.values(), ...decided.values()].flat().filter((name) => name === worker.name)
    line(`handlers run by ${worker.name}`, String(count.length))
  }
  return sent.length - acknowledged.length + missing.length + notOnce.length + acceptedTwice
}
