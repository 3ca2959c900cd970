// A leak check: many deliveries through the Express adapter in a server process, its RSS sampled
// throughout; the growth after the warm-up plateau is what a leak would show.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import autocannon from 'autocannon'
import { payloads, TOKEN } from './payloads.js'

export interface MemoryReport {
  deliveries: number
  /** RSS in MiB: after the first tenth of the deliveries (warm-up), at the end, and the peak. */
  afterWarmupMiB: number
  endMiB: number
  peakMiB: number
  summary: string
}

export async function measureMemory(deliveries: number): Promise<MemoryReport> {
  const child = fork(new URL('./server-process.ts', import.meta.url), ['express isc-triggers'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  try {
    const [{ port }] = (await once(child, 'message')) as [{ port: number }]
    const samples: { sent: number; rssMiB: number }[] = []
    let sent = 0
    const sampler = setInterval(() => child.send('rss'), 200)
    child.on('message', (message: { rssBytes?: number }) => {
      if (message.rssBytes !== undefined) samples.push({ sent, rssMiB: message.rssBytes / 1024 / 1024 })
    })
    const payload = payloads[0]!
    // Without a callback autocannon returns its instance, which is both a promise and an emitter.
    const run = autocannon({
      url: `http://127.0.0.1:${port}/isc/triggers/${payload.trigger}`,
      method: 'POST',
      connections: 32,
      amount: deliveries,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: payload.body,
    }) as unknown as Promise<autocannon.Result> & { on(event: 'response', listener: () => void): void }
    run.on('response', () => {
      sent++
    })
    const result = await run
    clearInterval(sampler)
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`memory run: ${result.non2xx} non-2xx, ${result.errors} errors`)
    child.send('rss')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const afterWarmup = samples.find((s) => s.sent >= deliveries / 10) ?? samples[0]!
    const end = samples.at(-1)!
    const peak = Math.max(...samples.map((s) => s.rssMiB))
    const growth = end.rssMiB - afterWarmup.rssMiB
    return {
      deliveries,
      afterWarmupMiB: afterWarmup.rssMiB,
      endMiB: end.rssMiB,
      peakMiB: peak,
      summary:
        `${deliveries} deliveries of ${payload.label} through the Express adapter at 32 connections: ` +
        `RSS ${afterWarmup.rssMiB.toFixed(1)} MiB after ${Math.round(afterWarmup.sent)} (warm-up), ` +
        `${end.rssMiB.toFixed(1)} MiB at the end (growth ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB), ` +
        `peak ${peak.toFixed(1)} MiB, ${samples.length} samples.`,
    }
  } finally {
    child.kill()
    await once(child, 'exit')
  }
}
