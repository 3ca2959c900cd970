import { expect, it } from 'vitest'
import { describeWithRedis } from '../redis.test-helper.js'
import { loadWorkerChild, startWebChild } from './children.test-helper.js'
import { countById, drained, POLL, useKillScene } from './kill-scene.test-helper.js'
import { inLanes, type PostOutcome, postEvent } from './post.test-helper.js'

const DELIVERIES = 200
const LANES = 8
/** The web process is killed once this many replies have come back. */
const KILL_AFTER_REPLIES = 80

describeWithRedis('kill -9: the web process SIGKILLed mid-stream (real processes, real Redis)', () => {
  const scene = useKillScene()

  it('every delivery answered 200 before the kill is handled by a worker started afterwards', async () => {
    const [web, worker] = await Promise.all([
      startWebChild(scene.config('web')),
      loadWorkerChild(scene.config('B', { concurrency: 8 })),
    ])
    const ids = Array.from({ length: DELIVERIES }, (_, i) => `ev-${i + 1}`)
    const outcomes = new Map<string, PostOutcome>()
    let replies = 0
    let killed: Promise<void> | undefined
    await inLanes(ids, LANES, async (id) => {
      const outcome = await postEvent(web.base, id)
      outcomes.set(id, outcome)
      if (outcome !== 'error' && ++replies === KILL_AFTER_REPLIES) killed = web.kill()
    })
    await killed
    const acknowledged = ids.filter((id) => outcomes.get(id) === 200)
    const unanswered = ids.filter((id) => outcomes.get(id) === 'error')
    const refused = ids.filter((id) => typeof outcomes.get(id) === 'number' && outcomes.get(id) !== 200)
    expect(acknowledged.length).toBeGreaterThanOrEqual(1)
    expect(unanswered.length).toBeGreaterThanOrEqual(1) // the kill did happen mid-stream

    await worker.go()
    const handled = async () => countById(await scene.list(scene.keys.handled))
    await expect
      .poll(async () => {
        const counts = await handled()
        return acknowledged.filter((id) => !counts.has(id))
      }, POLL)
      .toEqual([])
    await expect.poll(async () => drained(await scene.jobCounts()), POLL).toBe(true)
    expect((await scene.jobCounts()).failed).toBe(0)

    const counts = await handled()
    const duplicated = [...counts.values()].filter((n) => n > 1).length
    const unansweredHandled = unanswered.filter((id) => counts.has(id)).length
    console.log(
      `kill test (web mid-stream): sent ${ids.length}, acknowledged ${acknowledged.length}, ` +
        `handled ${counts.size} (all ${acknowledged.length} acknowledged + ${unansweredHandled} unanswered), ` +
        `unanswered ${unanswered.length}, other statuses ${refused.length}, duplicated ${duplicated}`,
    )
    expect([...counts.keys()].every((id) => ids.includes(id))).toBe(true)
    expect(counts.size).toBe(acknowledged.length + unansweredHandled)
  }, 180_000)
})
