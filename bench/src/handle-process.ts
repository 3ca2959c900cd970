// One variant's in-process `receiver.handle()` per process: `handle-process.ts <variant>`, started
// by observability.ts. A process of its own for each variant, so none runs on code the JIT shaped
// for another (an earlier commit's core, or today's with a subscriber on its channels). It sends
// { ready } once set up, then answers each { measure: ms } with a HandleWindow (idle in between,
// while the other variants measure), and { finish } with { spans, metricPoints } before it exits.
import { tracingChannel } from 'node:diagnostics_channel'
import { pathToFileURL } from 'node:url'
import type * as Core from '@isc-triggers/core'
import { type HandleMessage, type HandleWindow, handleRequest, type Variant } from './observability.js'
import { type BenchOtel, startBenchOtel, startContextManagerOnly } from './otel-setup.js'
import { benchReceiverOf } from './servers-receiver.js'

const variant = process.argv[2] as Variant

let core: typeof Core
if (variant === 'before') {
  const entry = process.env.BENCH_BASELINE_CORE
  if (!entry) throw new Error('the "before" variant needs BENCH_BASELINE_CORE (bench/src/baseline.ts)')
  core = (await import(pathToFileURL(entry).href)) as typeof Core
} else core = await import('@isc-triggers/core')
const otel: BenchOtel | undefined = variant === 'otel' ? await startBenchOtel() : undefined
const within = variant === 'context' ? await startContextManagerOnly() : undefined

const delivery = tracingChannel('isc-triggers:delivery')
if (delivery.hasSubscribers !== (otel !== undefined))
  throw new Error(`${variant}: the delivery channel has ${delivery.hasSubscribers ? 'a' : 'no'} subscriber`)

const receiver = benchReceiverOf(core.createTriggerReceiver)
const request = handleRequest()

/**
 * handle() calls per second and per CPU-second of this process over `ms`, one at a time, yielding
 * to the event loop every 200 (as a server would between requests; the batch span processor's
 * timer runs then).
 */
async function window(ms: number): Promise<HandleWindow> {
  let count = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  let elapsed = 0
  while (elapsed < ms) {
    if (within) for (let i = 0; i < 200; i++) await within(() => receiver.handle(request))
    else for (let i = 0; i < 200; i++) await receiver.handle(request)
    count += 200
    await new Promise<void>((resolve) => setImmediate(resolve))
    elapsed = performance.now() - started
  }
  const { user, system } = process.cpuUsage(cpu)
  return { perSecond: (count / elapsed) * 1000, perCpuSecond: count / ((user + system) / 1e6) }
}

const reply = await receiver.handle(request)
if (reply.status !== 200) throw new Error(`${variant}: handle() answered ${reply.status}`)
process.on('message', async (message: HandleMessage) => {
  if ('measure' in message) process.send?.(await window(message.measure))
  else {
    await otel?.flush()
    process.send?.({ spans: otel?.spans() ?? 0, metricPoints: otel?.metricPoints() ?? 0 }, () =>
      process.exit(0),
    )
  }
})
process.send?.({ ready: true })
