import { describe, expect, it } from 'vitest'
import { runTsxChild } from '../child-process.test-helper.js'

// A pending ASYNC invocation (handler done, callback failing and waiting to retry) costs at most
// 10 KB. Measured in a child process started with --expose-gc, so the figure is the receiver's
// alone: the heap growth (V8 heap + external) after garbage collection, over 2,000 invocations
// whose first callback attempt got a 503, divided by 2,000. It includes the HTTP client's own
// growth for 2,000 attempts made at once. Memory, not time: the machine's speed does not change it.

const LIMIT = 10 * 1024

async function measure(): Promise<{ pending: number; bytesPerInvocation: number; abandoned: number }> {
  const run = await runTsxChild(new URL('./pending-memory.test-helper.ts', import.meta.url), {
    hangMs: 110_000,
    nodeFlags: ['--expose-gc'],
  })
  if (run.code !== 0) throw new Error(`the measuring process exited with ${run.code}: ${run.stderr}`)
  return JSON.parse(run.stdout)
}

describe('pending ASYNC invocations', () => {
  it(`cost at most ${LIMIT} bytes each while their callbacks fail and wait to retry`, async () => {
    const { pending, bytesPerInvocation, abandoned } = await measure()
    expect(pending).toBe(2000)
    expect(abandoned).toBe(2000 + 200) // they were all still pending, and close() stopped them all
    expect(bytesPerInvocation, `${bytesPerInvocation} bytes per pending invocation`).toBeLessThan(LIMIT)
  }, 120_000)
})
