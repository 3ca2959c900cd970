import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** What a child process printed, and how it ended (`'hung'`: killed after the hang budget). */
export interface ChildRun {
  code: number | null | 'hung'
  stdout: string
  stderr: string
}

/**
 * Runs a TypeScript test helper in its own Node process (through tsx, from core's folder) and
 * collects its output. `hangMs` is a hang detector, never a speed check: past it the child is killed
 * and `code` is `'hung'`.
 *
 * @example
 * const run = await runTsxChild(new URL('./close-exit.test-helper.ts', import.meta.url), { hangMs: 60_000 })
 */
export function runTsxChild(
  helper: URL,
  { hangMs, nodeFlags = [] }: { hangMs: number; nodeFlags?: string[] },
): Promise<ChildRun> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', fileURLToPath(helper)], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk
  })
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve({ code: 'hung', stdout, stderr })
    }, hangMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
