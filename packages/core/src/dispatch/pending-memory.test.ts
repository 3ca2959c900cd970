import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// A pending ASYNC invocation (handler done, callback failing and waiting to retry) costs at most
// 10 KB. Measured in a child process started with --expose-gc, so the figure is the receiver's
// alone: the heap growth (V8 heap + external) after garbage collection, over 2,000 invocations
// whose first callback attempt got a 503, divided by 2,000. It includes the HTTP client's own
// growth for 2,000 attempts made at once. Memory, not time: the machine's speed does not change it.

const HELPER = fileURLToPath(new URL('./pending-memory.test-helper.ts', import.meta.url))
const CORE = fileURLToPath(new URL('../..', import.meta.url))
const LIMIT = 10 * 1024

function measure(): Promise<{ pending: number; bytesPerInvocation: number; abandoned: number }> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', HELPER], {
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
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(stdout))
      else reject(new Error(`the measuring process exited with ${code}: ${stderr}`))
    })
  })
}

describe('pending ASYNC invocations', () => {
  it(`cost at most ${LIMIT} bytes each while their callbacks fail and wait to retry`, async () => {
    const { pending, bytesPerInvocation, abandoned } = await measure()
    expect(pending).toBe(2000)
    expect(abandoned).toBe(2000 + 200) // they were all still pending, and close() stopped them all
    expect(bytesPerInvocation, `${bytesPerInvocation} bytes per pending invocation`).toBeLessThan(LIMIT)
  }, 120_000)
})
