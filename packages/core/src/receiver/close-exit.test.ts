import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The proof that close() clears what it stops: a child process whose callback keeps failing (next
// retry 120 s away) and whose handler holds a 120 s timer until its signal aborts exits by itself
// after close(). The 60 s below is a hang detector far from both: a slow machine only makes the
// child start later, never makes it exit sooner.

const HELPER = fileURLToPath(new URL('./close-exit.test-helper.ts', import.meta.url))
const CORE = fileURLToPath(new URL('../..', import.meta.url))

describe('after close()', () => {
  it('the process exits by itself: no retry timer, no handler timer, no socket of the receiver is left', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', HELPER], {
      cwd: CORE,
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
    let timer: NodeJS.Timeout | undefined
    const code = await Promise.race([
      new Promise<number | null>((resolve) => child.on('exit', resolve)),
      new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), 60_000)
      }),
    ]).finally(() => clearTimeout(timer))
    if (code === 'hung') child.kill('SIGKILL')
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(JSON.parse(stdout)).toMatchObject({ abandoned: 2, handlers: 1, callbacks: 1 })
  }, 90_000)
})
