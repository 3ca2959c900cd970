import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, identityCreatedSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import { createTriggerReceiver } from '../receiver/receiver.js'
import { createRedisDedupeStore } from './dedupe.js'

// Needs a Redis server: REDIS_URL=redis://127.0.0.1:6399 pnpm test (.ci/run installs and starts one
// from Debian's redis-server). Without REDIS_URL this suite is skipped, except in CI, where it fails.
const url = process.env.REDIS_URL
if (!url && process.env.CI)
  throw new Error('CI must run the Redis dedupe tests: set REDIS_URL (.ci/run starts redis-server)')

describe.skipIf(!url)(
  `dedupe across receivers sharing Redis (${url ?? 'REDIS_URL not set: skipped'})`,
  () => {
    // Two receivers with their own connections, as two instances of a service would have.
    const clients = [createClient({ url }), createClient({ url })]
    const prefix = `isc-triggers-test:${process.pid}:${Date.now()}:`
    beforeAll(async () => {
      await Promise.all(clients.map((client) => client.connect()))
    })
    afterAll(async () => {
      await Promise.all(clients.map((client) => client.quit()))
    })

    it('runs the handler once when the same delivery reaches both at once, and again after a failure released it', async () => {
      const runs: string[] = []
      let failNext = false
      const receivers = clients.map((client, index) => {
        const receiver = createTriggerReceiver({
          auth: { type: 'bearer', tokens: [TEST_TOKEN] },
          logger: false,
          dedupe: {
            store: createRedisDedupeStore(client as never, { prefix }),
            key: (input) => (input as { identity: { id: string } }).identity.id,
          },
        })
        receiver.on('idn:identity-created', async (input) => {
          runs.push(`receiver ${index}: ${input.identity.id}`)
          await new Promise((resolve) => setTimeout(resolve, 20))
          if (failNext) {
            failNext = false
            throw new Error('downstream down')
          }
        })
        return receiver
      })
      const send = (index: number, id: string) =>
        receivers[index]!.handle({
          method: 'POST',
          headers: { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' },
          body: JSON.stringify({
            ...identityCreatedSample(),
            identity: { ...identityCreatedSample().identity, id },
          }),
          trigger: 'identity-created',
        })

      const replies = await Promise.all([send(0, 'id-1'), send(1, 'id-1'), send(0, 'id-1'), send(1, 'id-2')])
      expect(replies.every((reply) => reply.status === 200)).toBe(true)
      expect(runs.filter((run) => run.endsWith('id-1'))).toHaveLength(1)
      expect(runs.filter((run) => run.endsWith('id-2'))).toHaveLength(1)

      failNext = true
      expect((await send(0, 'id-3')).status).toBe(500)
      expect((await send(1, 'id-3')).status).toBe(200)
      expect(runs.filter((run) => run.endsWith('id-3'))).toHaveLength(2)
    })
  },
)
