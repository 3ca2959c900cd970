import { randomUUID } from 'node:crypto'
import { describe } from 'vitest'

/**
 * The Redis the durable-delivery tests use: `REDIS_URL=redis://127.0.0.1:6399 pnpm test` (.ci/run
 * installs Debian's redis-server and starts it on that port). Without REDIS_URL these suites are
 * skipped, except in CI, where that is an error.
 */
export const redisUrl = process.env.REDIS_URL
if (!redisUrl && process.env.CI)
  throw new Error('CI must run the BullMQ tests: set REDIS_URL (.ci/run starts redis-server)')

/** `describe`, skipped (with the reason in its name) when no Redis is configured. */
export function describeWithRedis(name: string, body: () => void): void {
  if (redisUrl) describe(name, body)
  else describe.skip(`${name} (REDIS_URL not set: skipped)`, body)
}

/** BullMQ connection options for the test Redis. */
export function connection(): { url: string } {
  return { url: redisUrl ?? 'redis://127.0.0.1:6399' }
}

/** A queue name no other test uses, so suites never see each other's jobs. */
export function uniqueQueueName(): string {
  return `t-${randomUUID().slice(0, 8)}`
}

/** A 32-byte seal key, base64 (as `openssl rand -base64 32` prints). */
export const TEST_SEAL_KEY = Buffer.alloc(32, 7).toString('base64')
