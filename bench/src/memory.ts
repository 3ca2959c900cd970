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
  /** The JS heap in use after a full GC, in MiB: after the warm-up and at the end. */
  heapAfterWarmupMiB: number
  heapEndMiB: number
  summary: string
}

export async function measureMemory(deliveries: number): Promise<MemoryReport> {
  const child = fork(new URL('./server-process.ts', import.meta.url), ['express isc-triggers'], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  try {
    const [{ port }] = (await once(child, 'message')) as [{ port: number }]
    const samples: { sent: number; rssMiB: number; heapMiB: number }[] = []
    let sent = 0
    const sampler = setInterval(() => child.send('memory'), 250)
    child.on('message', (message: { rssBytes?: number; heapBytes?: number }) => {
      if (message.rssBytes !== undefined && message.heapBytes !== undefined)
        samples.push({
          sent,
          rssMiB: message.rssBytes / 1024 / 1024,
          heapMiB: message.heapBytes / 1024 / 1024,
        })
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
    child.send('memory')
    await new Promise((resolve) => setTimeout(resolve, 200))
    const afterWarmup = samples.find((s) => s.sent >= deliveries / 10) ?? samples[0]!
    const end = samples.at(-1)!
    const peak = Math.max(...samples.map((s) => s.rssMiB))
    const signed = (mib: number) => `${mib >= -0.05 ? '+' : '-'}${Math.abs(mib).toFixed(1)} MiB`
    return {
      deliveries,
      afterWarmupMiB: afterWarmup.rssMiB,
      endMiB: end.rssMiB,
      peakMiB: peak,
      heapAfterWarmupMiB: afterWarmup.heapMiB,
      heapEndMiB: end.heapMiB,
      summary:
        `${deliveries} deliveries of ${payload.label} through the Express adapter at 32 connections, ` +
        `${samples.length} samples, each after a full GC. ` +
        `RSS: ${afterWarmup.rssMiB.toFixed(1)} MiB after ${Math.round(afterWarmup.sent)} (warm-up), ` +
        `${end.rssMiB.toFixed(1)} MiB at the end (growth ${signed(end.rssMiB - afterWarmup.rssMiB)}), ` +
        `peak ${peak.toFixed(1)} MiB. ` +
        `JS heap in use: ${afterWarmup.heapMiB.toFixed(1)} MiB after the warm-up, ${end.heapMiB.toFixed(1)} MiB ` +
        `at the end (growth ${signed(end.heapMiB - afterWarmup.heapMiB)}).`,
    }
  } finally {
    child.kill()
    await once(child, 'exit')
  }
}
