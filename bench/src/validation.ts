// In-process cost of receiving one delivery: receiver.handle() against JSON.parse alone and
// JSON.parse + the trigger schema's safeParse, on the same bytes. Variants are interleaved in
// rounds; each row reports the median of its rounds.
import { type AnyTrigger, catalog, createTriggerReceiver, type TriggerId } from '@isc-triggers/core'
import { sampleInput, sampleInputs, sampleOutputs } from '@isc-triggers/testing'
import { TOKEN } from './payloads.js'

export interface ValidationRow {
  trigger: string
  bytes: number
  parse: number
  parseAndValidate: number
  handle: number
}

/** The largest sample in the catalog, by JSON size. */
function largestSample(): TriggerId {
  const sizes = Object.entries(sampleInputs).map(([id, input]) => [id, JSON.stringify(input).length] as const)
  return sizes.sort((a, b) => b[1] - a[1])[0]![0] as TriggerId
}

async function opsPerSecond(run: () => unknown, ms: number): Promise<number> {
  let count = 0
  const started = performance.now()
  let elapsed = 0
  while (elapsed < ms) {
    for (let i = 0; i < 200; i++) await run()
    count += 200
    elapsed = performance.now() - started
  }
  return (count / elapsed) * 1000
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

export async function measureValidation({ quick }: { quick: boolean }): Promise<ValidationRow[]> {
  const ms = quick ? 100 : 1000
  const rounds = quick ? 1 : 5
  const rows: ValidationRow[] = []
  for (const id of ['idn:identity-created', largestSample()] as TriggerId[]) {
    const trigger = (catalog as Record<string, AnyTrigger>)[id]!
    const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TOKEN] }, logger: false })
    const output = (sampleOutputs as Record<string, unknown>)[id]
    receiver.on(trigger, (() => output) as never)
    const bytes = Buffer.from(JSON.stringify(sampleInput(id)))
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
    const variants = {
      parse: () => JSON.parse(bytes.toString('utf8')),
      parseAndValidate: () => trigger.input.safeParse(JSON.parse(bytes.toString('utf8'))),
      handle: () => receiver.handle({ method: 'POST', headers, body: bytes, trigger: id }),
    }
    const results: Record<keyof typeof variants, number[]> = { parse: [], parseAndValidate: [], handle: [] }
    for (const run of Object.values(variants)) await opsPerSecond(run, ms / 2) // warm-up
    for (let round = 0; round < rounds; round++)
      for (const [name, run] of Object.entries(variants))
        results[name as keyof typeof variants].push(await opsPerSecond(run, ms))
    const reply = await variants.handle()
    if (reply.status !== 200) throw new Error(`${id}: handle() answered ${reply.status}`)
    rows.push({
      trigger: id,
      bytes: bytes.byteLength,
      parse: median(results.parse),
      parseAndValidate: median(results.parseAndValidate),
      handle: median(results.handle),
    })
  }
  return rows
}

export function validationTable(rows: ValidationRow[]): string[] {
  const lines = [
    '| trigger | bytes | JSON.parse /s | + safeParse /s | handle() /s | handle() cost vs parse+safeParse |',
    '|---|---:|---:|---:|---:|---:|',
  ]
  for (const row of rows)
    lines.push(
      `| ${row.trigger} | ${row.bytes} | ${Math.round(row.parse)} | ${Math.round(row.parseAndValidate)} | ${Math.round(row.handle)} | ${(row.parseAndValidate / row.handle).toFixed(2)}x |`,
    )
  return lines
}
