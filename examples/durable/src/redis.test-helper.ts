import { describe } from 'vitest'

/**
 * The Redis the example's test uses: `REDIS_URL=redis://127.0.0.1:6399 pnpm vitest run examples/durable`.
 * Without REDIS_URL the suite is skipped, except in CI, where that is an error (as for
 * packages/bullmq's tests).
 */
export const redisUrl = process.env.REDIS_URL
if (!redisUrl && process.env.CI)
  throw new Error('CI must run the durable example test: set REDIS_URL (.ci/run starts redis-server)')

/**
 * `describe`, skipped (with the reason in its name) when no Redis is configured.
 *
 * @example
 * describeWithRedis('the durable example', () => { it(...) })
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (redisUrl) describe(name, body)
  else describe.skip(`${name} (REDIS_URL not set: skipped)`, body)
}
