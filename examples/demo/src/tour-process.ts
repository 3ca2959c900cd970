// One process of examples/durable (web or worker), run as a child of the demo.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

/** A running child: what it printed, line by line. */
export interface TourProcess {
  readonly name: string
  readonly child: ChildProcess
  readonly lines: string[]
  /**
   * The first line matching `pattern` from line `from` on (printed already or to come); rejects
   * if the process ends first.
   */
  waitFor(pattern: RegExp, from?: number): Promise<string>
  /** Sends `signal` (default SIGTERM) and waits until the process is gone and its output read. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

/**
 * Starts `examples/durable/src/<entry>` with tsx, from the TypeScript sources of the packages.
 *
 * @example
 * const web = startDurable('web', 'web.ts', { ISC_TOKEN, ISC_JOB_KEY, REDIS_URL, PORT: '0' })
 * await web.waitFor(/listening on/)
 */
export function startDurable(name: string, entry: string, env: Record<string, string>): TourProcess {
  const file = fileURLToPath(new URL(`../../durable/src/${entry}`, import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@isc-triggers/source', file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const watchers = new Set<{ pattern: RegExp; resolve: (line: string) => void }>()
  const closed = once(child, 'close')
  const onLine = (line: string) => {
    lines.push(line)
    for (const watcher of watchers)
      if (watcher.pattern.test(line)) {
        watchers.delete(watcher)
        watcher.resolve(line)
      }
  }
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '' // a chunk may end in the middle of a line
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n')
      rest = parts.pop() ?? ''
      for (const line of parts) if (line) onLine(line)
    })
    stream.on('end', () => rest && onLine(rest))
  }
  return {
    name,
    child,
    lines,
    waitFor(pattern, from = 0) {
      const seen = lines.slice(from).find((line) => pattern.test(line))
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        watchers.add({ pattern, resolve })
        closed.then(() =>
          reject(new Error(`${name} exited before printing ${pattern}:\n${lines.join('\n')}`)),
        )
      })
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000) // a hang detector
      await closed
      clearTimeout(timer)
    },
  }
}
