import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

/** One of this example's processes, run as a child (TypeScript sources through tsx). */
export interface RunningProcess {
  readonly child: ChildProcess
  /** Every line it printed so far (stdout and stderr). */
  readonly lines: string[]
  /** Resolves with the first line matching `pattern`; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<string>
  /** SIGTERM (or `signal`), then waits until it has exited and its output is read. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

/**
 * Starts `src/<entry>` of this example in its own Node process with `env` added to this one's.
 *
 * @example
 * const web = startProcess('web.ts', { ISC_TOKEN: 't', ISC_JOB_KEY: key, REDIS_URL, PORT: '0' })
 * const line = await web.waitFor(/listening on (\S+)\/<trigger>/)
 */
export function startProcess(entry: string, env: Record<string, string>): RunningProcess {
  const here = fileURLToPath(new URL('..', import.meta.url))
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@isc-triggers/source', fileURLToPath(new URL(entry, import.meta.url))],
    { cwd: here, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const lines: string[] = []
  const watchers: { pattern: RegExp; resolve: (line: string) => void }[] = []
  const closed = once(child, 'close')
  const onLine = (line: string) => {
    lines.push(line)
    for (const watcher of watchers.filter((w) => w.pattern.test(line))) {
      watchers.splice(watchers.indexOf(watcher), 1)
      watcher.resolve(line)
    }
  }
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '' // a chunk may end in the middle of a line
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n')
      rest = parts.pop() ?? ''
      for (const line of parts) if (line) onLine(line)
    })
    stream?.on('end', () => rest && onLine(rest))
  }
  return {
    child,
    lines,
    waitFor(pattern) {
      const seen = lines.find((line) => pattern.test(line))
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        watchers.push({ pattern, resolve })
        closed.then(() =>
          reject(new Error(`${entry} exited before printing ${pattern}:\n${lines.join('\n')}`)),
        )
      })
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      // A hang detector, not a speed check: a process still there after 30 s is killed.
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      await closed
      clearTimeout(timer)
    },
  }
}
