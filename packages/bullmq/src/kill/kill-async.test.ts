import { type FakeIsc, startFakeIsc } from '@isc-triggers/testing'
import { afterEach, expect, it } from 'vitest'
import { describeWithRedis } from '../redis.test-helper.js'
import { type CallbackHold, startCallbackHold } from './callback-hold.test-helper.js'
import { loadWorkerChild, startWebChild, startWorkerChild } from './children.test-helper.js'
import { countById, drained, POLL, useKillScene } from './kill-scene.test-helper.js'
import { inLanes, postAsync, untilStored } from './post.test-helper.js'

const INVOCATIONS = 30
/** Worker A never decides these (its handler hangs): B must run them again. */
const HANGING = [4, 14, 24].map((n) => `inv-${n}`)
/** A decides these and ISC completes them, but A is killed before it hears ISC's answer. */
const HELD = [2, 9, 19].map((n) => `inv-${n}`)

describeWithRedis('kill -9: ASYNC invocations across a worker SIGKILL (real processes, real Redis)', () => {
  const scene = useKillScene()
  let isc: FakeIsc | undefined
  let hold: CallbackHold | undefined
  afterEach(async () => {
    await hold?.close()
    await isc?.close()
    hold = undefined
    isc = undefined
  })

  it('completes every acknowledged invocation exactly once at ISC; a stored decision is re-sent, not re-decided', async () => {
    isc = await startFakeIsc()
    hold = await startCallbackHold(isc.origin, new Set(HELD))
    const callbackOrigin = hold.origin
    const [web, workerA, workerB] = await Promise.all([
      startWebChild(scene.config('web', { callbackOrigin })),
      startWorkerChild(scene.config('A', { callbackOrigin, hang: true, concurrency: 8 })),
      loadWorkerChild(scene.config('B', { callbackOrigin, concurrency: 8 })),
    ])
    const ids = Array.from({ length: INVOCATIONS }, (_, i) => `inv-${i + 1}`)
    const acknowledged: string[] = []
    const via = hold
    const stream = inLanes(ids, 4, async (invocationId) => {
      const accessRequestId = HANGING.includes(invocationId) ? `hang-${invocationId}` : invocationId
      const call = { invocationId, callbackURL: via.callbackURL(invocationId), accessRequestId }
      if ((await untilStored(() => postAsync(web.base, call))) === 200) acknowledged.push(invocationId)
    })

    // A is inside the hanging handlers, and ISC holds the completions A sent for HELD: kill A.
    const completedIds = () => (isc as FakeIsc).completions.map((attempt) => attempt.invocationId)
    await expect
      .poll(async () => {
        const runs = await scene.list(scene.keys.runs)
        return (
          HANGING.every((id) => runs.includes(`A:${id}`)) && HELD.every((id) => completedIds().includes(id))
        )
      }, POLL)
      .toBe(true)
    await workerA.kill()
    hold.release()
    await workerB.go()
    await stream
    expect(acknowledged).toEqual(expect.arrayContaining([...HANGING, ...HELD]))

    await expect.poll(() => acknowledged.filter((id) => !completedIds().includes(id)), POLL).toEqual([])
    await expect
      .poll(async () => {
        const jobs = await scene.jobCounts()
        return drained(jobs) && jobs.completed === acknowledged.length
      }, POLL)
      .toBe(true)
    expect((await scene.jobCounts()).failed).toBe(0)

    const completions = countById(completedIds().map((id) => `isc:${id}`))
    const duplicates = [...completions.values()].filter((n) => n > 1).length
    expect(duplicates).toBe(0)
    expect([...completions.keys()].sort()).toEqual([...acknowledged].sort())
    const alreadyCompleted = isc.attempts.filter((attempt) => attempt.status === 400)
    const runs = await scene.list(scene.keys.runs)
    const runsOf = (id: string) => runs.filter((entry) => entry.endsWith(`:${id}`))
    const outputOf = (id: string) =>
      (isc as FakeIsc).completions.find((attempt) => attempt.invocationId === id)?.body
    for (const id of HELD) {
      // B found A's decision in the job: it re-sent it (ISC said 400, already completed) without deciding again.
      expect(runsOf(id)).toEqual([`A:${id}`])
      expect(alreadyCompleted.map((attempt) => attempt.invocationId)).toContain(id)
      expect(outputOf(id)).toMatchObject({ output: { comment: 'decided by A' } })
    }
    for (const id of HANGING) {
      expect(runsOf(id)).toEqual([`A:${id}`, `B:${id}`])
      expect(outputOf(id)).toMatchObject({ output: { comment: 'decided by B' } })
    }

    console.log(
      `kill test (ASYNC across a worker kill): sent ${ids.length}, acknowledged ${acknowledged.length}, ` +
        `completed ${completions.size}, duplicate completions ${duplicates}, ` +
        `ISC 400 already-completed ${alreadyCompleted.length}, handler runs ${runs.length} ` +
        `(${runs.filter((entry) => entry.startsWith('A:')).length} by A, ${runs.filter((entry) => entry.startsWith('B:')).length} by B)`,
    )
  }, 180_000)
})
