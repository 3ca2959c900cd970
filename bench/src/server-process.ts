// One benchmark server per process: `server-process.ts <scenario>`. It sends its port over IPC and
// answers { maxRssBytes } to a "report" message, so the runner can read its peak memory,
// { rssBytes, heapBytes } to "memory" (after a full GC when started with --expose-gc), and
// { cpuMicros } (user + system, all threads) to "cpu".
import type { AddressInfo } from 'node:net'
import { scenarios } from './servers.js'

const name = process.argv[2]
if (name === undefined) throw new Error('usage: server-process.ts <scenario>')
{
  const make = scenarios[name]
  if (!make) throw new Error(`unknown scenario ${name}`)
  const server = await make()
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port })
  })
  process.on('message', (message) => {
    if (message === 'report') process.send?.({ maxRssBytes: process.resourceUsage().maxRSS * 1024 })
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage()
      process.send?.({ cpuMicros: user + system })
    }
    if (message === 'memory') {
      // A full collection first (the memory check starts this process with --expose-gc), so the
      // sample shows what is still referenced, not how far the collector happens to lag behind.
      globalThis.gc?.()
      const { rss, heapUsed } = process.memoryUsage()
      process.send?.({ rssBytes: rss, heapBytes: heapUsed })
    }
  })
}
