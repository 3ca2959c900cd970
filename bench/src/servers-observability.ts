// The node:http servers of the observability rows: the receiver of the commit before the tracing
// channels (built by bench/src/baseline.ts; the runner names its entry in BENCH_BASELINE_CORE),
// today's once more (the noise row), and today's with @isc-triggers/otel on (bench/src/otel-setup.ts).
import { createServer, type Server } from 'node:http'
import { pathToFileURL } from 'node:url'
import type * as Core from '@isc-triggers/core'
import { toNodeHandler } from '@isc-triggers/core'
import { OBSERVABILITY_SERVERS } from './observability.js'
import { startBenchOtel, startContextManagerOnly } from './otel-setup.js'
import { benchReceiver, benchReceiverOf } from './servers-receiver.js'

const PATH = '/isc/triggers'

export const observabilityScenarios: Record<string, () => Server | Promise<Server>> = {
  [OBSERVABILITY_SERVERS.before]: async () => {
    const entry = process.env.BENCH_BASELINE_CORE
    if (!entry)
      throw new Error(`${OBSERVABILITY_SERVERS.before} needs BENCH_BASELINE_CORE (bench/src/baseline.ts)`)
    const core = (await import(pathToFileURL(entry).href)) as typeof Core
    return createServer(core.toNodeHandler(benchReceiverOf(core.createTriggerReceiver), { path: PATH }))
  },
  [OBSERVABILITY_SERVERS.again]: () => createServer(toNodeHandler(benchReceiver(), { path: PATH })),
  [OBSERVABILITY_SERVERS.context]: async () => {
    const within = await startContextManagerOnly()
    const handler = toNodeHandler(benchReceiver(), { path: PATH })
    return createServer((req, res) => within(() => handler(req, res)))
  },
  [OBSERVABILITY_SERVERS.otel]: async () => {
    await startBenchOtel()
    return createServer(toNodeHandler(benchReceiver(), { path: PATH }))
  },
}
