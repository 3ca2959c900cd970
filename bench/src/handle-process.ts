// One in-process `receiver.handle()` measurement per process: `handle-process.ts <variant>
// <settings JSON>`, started by observability.ts. A process of its own for each variant and round,
// so no variant runs on code the JIT shaped for another (an earlier commit's core, or today's with
// a subscriber on its channels). It sends { opsPerSecond, spans, metricPoints } over IPC and exits.
import { tracingChannel } from 'node:diagnostics_channel'
import { pathToFileURL } from 'node:url'
import type * as Core from '@isc-triggers/core'
import { type HandleSettings, handleRequest, median, type Variant } from './observability.js'
import { type BenchOtel, startBenchOtel } from './otel-setup.js'
import { benchReceiverOf } from './servers-receiver.js'

const variant = process.argv[2] as Variant
const settings = JSON.parse(process.argv[3] ?? '{}') as HandleSettings

let core: typeof Core
if (variant === 'before') {
  const entry = process.env.BENCH_BASELINE_CORE
  if (!entry) throw new Error('the "before" variant needs BENCH_BASELINE_CORE (bench/src/baseline.ts)')
  core = (await import(pathToFileURL(entry).href)) as typeof Core
} else core = await import('@isc-triggers/core')
const otel: BenchOtel | undefined = variant === 'otel' ? await startBenchOtel() : undefined

const delivery = tracingChannel('isc-triggers:delivery')
if (delivery.hasSubscribers !== (otel !== undefined))
  throw new Error(`${variant}: the delivery channel has ${delivery.hasSubscribers ? 'a' : 'no'} subscriber`)

const receiver = benchReceiverOf(core.createTriggerReceiver)
const request = handleRequest()

/** handle() calls per second over `ms`, one at a time, yielding to the event loop every 200 (as a server would between requests; the batch span processor's timer runs then). */
async function window(ms: number): Promise<number> {
  let count = 0
  const started = performance.now()
  let elapsed = 0
  while (elapsed < ms) {
    for (let i = 0; i < 200; i++) await receiver.handle(request)
    count += 200
    await new Promise<void>((resolve) => setImmediate(resolve))
    elapsed = performance.now() - started
  }
  return (count / elapsed) * 1000
}

await window(settings.warmupMs)
const rates: number[] = []
for (let i = 0; i < settings.windows; i++) rates.push(await window(settings.windowMs))
const reply = await receiver.handle(request)
if (reply.status !== 200) throw new Error(`${variant}: handle() answered ${reply.status}`)
await otel?.flush()
process.send?.(
  { opsPerSecond: median(rates), spans: otel?.spans() ?? 0, metricPoints: otel?.metricPoints() ?? 0 },
  () => process.exit(0),
)
