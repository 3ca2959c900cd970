import type { ConnectionOptions } from 'bullmq'
import { Redis, type RedisOptions } from 'ioredis'

/**
 * A Redis connection of our own (for the DYNAMIC reply channel), made from the same `connection`
 * BullMQ gets: a copy of a client the user passed, or a new ioredis client from options.
 */
export function redisFrom(connection: ConnectionOptions): Redis {
  const given = connection as { duplicate?: () => Redis }
  if (typeof given.duplicate === 'function') return given.duplicate()
  const { url, ...options } = connection as RedisOptions & { url?: string }
  return url === undefined ? new Redis(options) : new Redis(url, options)
}

/** How long a polite QUIT may take before the connection is dropped (Redis gone or paused). */
const QUIT_TIMEOUT_MS = 2_000

/** Closes a client without throwing (it may never have connected), within a time limit. */
export async function quit(client: Redis | undefined): Promise<void> {
  if (!client) return
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), QUIT_TIMEOUT_MS)
  })
  try {
    if ((await Promise.race([client.quit(), late])) === 'late') client.disconnect()
  } catch {
    client.disconnect()
  } finally {
    clearTimeout(timer)
  }
}

/**
 * `work`, or after `ms` whatever `giveUp` does: a close that waits on a Redis that stopped
 * answering must still end.
 *
 * @example
 * await within(queue.close(), 5_000, () => queue.disconnect())
 */
export async function within(work: Promise<unknown>, ms: number, giveUp: () => unknown): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms)
  })
  work.catch(() => {})
  try {
    if ((await Promise.race([work, late])) === 'late') await giveUp()
  } catch {
    // closing: nothing left to do with a failure
  } finally {
    clearTimeout(timer)
  }
}
