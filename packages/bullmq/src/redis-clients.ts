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

/** Closes a client without throwing (it may never have connected). */
export async function quit(client: Redis | undefined): Promise<void> {
  if (!client) return
  try {
    await client.quit()
  } catch {
    client.disconnect()
  }
}
