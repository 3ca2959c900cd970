import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterEach, beforeEach } from 'vitest'
import { connection, redisUrl, TEST_SEAL_KEY, uniqueQueueName } from '../redis.test-helper.js'
import { killAllChildren } from './children.test-helper.js'
import { type KillChildConfig, killKeys } from './kill-config.fixture.js'

/** Generous limits for condition polls: a busy 2-core machine, never a speed check. */
export const POLL = { timeout: 60_000, interval: 100 } as const

/** One kill test's queue, Redis lists and child settings. */
export interface KillScene {
  name: string
  keys: ReturnType<typeof killKeys>
  redis: Redis
  /** A child's config on this scene's queue. */
  config(role: string, extra?: Partial<KillChildConfig>): KillChildConfig
  /** The entries of one of the handlers' lists (`<role>:<id>`). */
  list(key: string): Promise<string[]>
  /** BullMQ's job counts of the queue. */
  jobCounts(): Promise<Record<string, number>>
}

/**
 * Registers beforeEach/afterEach for kill tests: a fresh queue name per test; afterwards every
 * child is SIGKILLed, the queue obliterated and the handlers' lists deleted.
 *
 * @example
 * const scene = useKillScene()
 * it('...', async () => { const web = await startWebChild(scene.config('web')) })
 */
export function useKillScene(): KillScene {
  let queue: Queue
  const scene = { redis: undefined as unknown as Redis } as KillScene
  beforeEach(() => {
    scene.name = uniqueQueueName()
    scene.keys = killKeys(scene.name)
    scene.redis = new Redis(redisUrl as string)
    queue = new Queue(scene.name, { connection: connection() })
    scene.config = (role, extra = {}) => ({
      redisUrl: redisUrl as string,
      queue: scene.name,
      sealKey: TEST_SEAL_KEY,
      role,
      hang: false,
      concurrency: 4,
      ...extra,
    })
    scene.list = (key) => scene.redis.lrange(key, 0, -1)
    scene.jobCounts = () => queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')
  })
  afterEach(async () => {
    await killAllChildren()
    try {
      await queue.obliterate({ force: true })
      await scene.redis.del(...Object.values(scene.keys))
    } finally {
      await queue.close()
      scene.redis.disconnect()
    }
  }, 30_000)
  return scene
}

/** Entries `<role>:<id>` counted by id. */
export function countById(entries: string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const entry of entries) {
    const id = entry.slice(entry.indexOf(':') + 1)
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

/** True when the queue has nothing left to run. */
export function drained(counts: Record<string, number>): boolean {
  return (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) === 0
}
