import { expect, it } from 'vitest'
import { describeWithRedis } from '../redis.test-helper.js'
import { loadWorkerChild, startWebChild, startWorkerChild } from './children.test-helper.js'
import { countById, drained, POLL, useKillScene } from './kill-scene.test-helper.js'
import { inLanes, postEvent, untilStored } from './post.test-helper.js'

const EVENTS = 60
const HANGING = ['hang-1', 'hang-2']

describeWithRedis('kill -9: a worker process SIGKILLed mid-handler (real processes, real Redis)', () => {
  const scene = useKillScene()

  it('hands the jobs of the killed worker to another worker: every acknowledged delivery is handled', async () => {
    const [web, workerA, workerB] = await Promise.all([
      startWebChild(scene.config('web')),
      startWorkerChild(scene.config('A', { hang: true, concurrency: 4 })),
      loadWorkerChild(scene.config('B', { concurrency: 4 })),
    ])
    const ids = Array.from({ length: EVENTS }, (_, i) => `ev-${i + 1}`)
    ids.splice(5, 0, HANGING[0] as string)
    ids.splice(15, 0, HANGING[1] as string)
    const acknowledged: string[] = []
    const stream = inLanes(ids, 4, async (id) => {
      if ((await untilStored(() => postEvent(web.base, id))) === 200) acknowledged.push(id)
    })

    // Worker A is inside both hanging handlers (they never finish there): kill it mid-stream.
    await expect
      .poll(async () => (await scene.list(scene.keys.started)).sort(), POLL)
      .toEqual(HANGING.map((id) => `A:${id}`))
    await workerA.kill()
    await workerB.go()
    await stream
    expect(acknowledged).toEqual(expect.arrayContaining(HANGING))

    // B gets A's jobs back once their locks expire (stalled-job recovery) and runs the rest.
    const handled = async () => countById(await scene.list(scene.keys.handled))
    await expect
      .poll(async () => {
        const counts = await handled()
        return acknowledged.filter((id) => !counts.has(id))
      }, POLL)
      .toEqual([])
    await expect.poll(async () => drained(await scene.jobCounts()), POLL).toBe(true)
    const entries = await scene.list(scene.keys.handled)
    expect(entries).toEqual(expect.arrayContaining(HANGING.map((id) => `B:${id}`)))
    expect((await scene.jobCounts()).failed).toBe(0)

    const counts = await handled()
    const duplicated = [...counts.values()].filter((n) => n > 1).length
    const byA = entries.filter((entry) => entry.startsWith('A:')).length
    console.log(
      `kill test (worker mid-handler): sent ${ids.length}, acknowledged ${acknowledged.length}, ` +
        `handled ${counts.size} (runs: ${byA} by A before the kill, ${entries.length - byA} by B), ` +
        `duplicated ${duplicated}`,
    )
    expect([...counts.keys()].every((id) => ids.includes(id))).toBe(true)
  }, 180_000)
})
