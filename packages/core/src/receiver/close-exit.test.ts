import { describe, expect, it } from 'vitest'
import { runTsxChild } from '../child-process.test-helper.js'

// The proof that close() clears what it stops: a child process whose callback keeps failing (next
// retry 120 s away) and whose handler holds a 120 s timer until its signal aborts exits by itself
// after close(). The 60 s below is a hang detector far from both: a slow machine only makes the
// child start later, never makes it exit sooner.

describe('after close()', () => {
  it('the process exits by itself: no retry timer, no handler timer, no socket of the receiver is left', async () => {
    const run = await runTsxChild(new URL('./close-exit.test-helper.ts', import.meta.url), {
      hangMs: 60_000,
    })
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' })
    expect(JSON.parse(run.stdout)).toMatchObject({ abandoned: 2, handlers: 1, callbacks: 1 })
  }, 90_000)
})
