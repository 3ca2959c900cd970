import { createTriggerReceiver, type TriggerReceiver } from '@isc-triggers/core'
import { Redis } from 'ioredis'
import { bullmqQueue } from '../bullmq-queue.js'
import type { BullmqQueueOptions } from '../queue-options.js'
import { KILL_TOKEN, type KillChildConfig, killKeys } from './kill-config.fixture.js'

/** A promise that never settles: the handler is "stuck" until its process is killed. */
const forever = (): Promise<never> => new Promise<never>(() => {})

/**
 * The receiver every kill-test child builds (web and workers alike, as the docs say to): bearer
 * auth, `queue: bullmqQueue(...)`, and two handlers that record each run in Redis lists, so the
 * test can count them after a SIGKILL:
 *
 * - `idn:identity-created` (fire-and-forget): pushes `<role>:<identity id>` to `handled` when done;
 *   a `hang` worker pushes ids starting with `hang` to `started` instead and never finishes.
 * - `idn:access-request-pre-approval` (ASYNC): pushes `<role>:<invocation id>` to `runs` when it
 *   starts; a `hang` worker never decides requests whose `accessRequestId` starts with `hang`.
 *
 * @example
 * const { receiver, queue, redis } = buildKillReceiver(configFromEnv(process.env))
 */
export function buildKillReceiver(config: KillChildConfig): {
  receiver: TriggerReceiver
  queue: ReturnType<typeof bullmqQueue>
  redis: Redis
} {
  const keys = killKeys(config.queue)
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null })
  const options: BullmqQueueOptions = {
    connection: { url: config.redisUrl },
    name: config.queue,
    sealKey: config.sealKey,
  }
  const queue = bullmqQueue(options)
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens: [KILL_TOKEN] },
    ...(config.callbackOrigin ? { completion: { allowedCallbackOrigins: [config.callbackOrigin] } } : {}),
    queue,
  })
  receiver.on('idn:identity-created', async (input) => {
    const id = String(input.identity.id)
    if (config.hang && id.startsWith('hang')) {
      await redis.rpush(keys.started, `${config.role}:${id}`)
      await forever()
    }
    await redis.rpush(keys.handled, `${config.role}:${id}`)
  })
  receiver.on(
    'idn:access-request-pre-approval',
    async (input, ctx) => {
      await redis.rpush(keys.runs, `${config.role}:${ctx.invocation?.invocationId ?? '?'}`)
      if (config.hang && String(input.accessRequestId).startsWith('hang')) await forever()
      return { approved: true, comment: `decided by ${config.role}`, approver: 'kill-test' }
    },
    { mode: 'async' },
  )
  return { receiver, queue, redis }
}

/** Ends the process when the test process goes away (its end of stdin closes), killed or not. */
export function exitWithParent(): void {
  process.stdin.on('end', () => process.exit(0))
  process.stdin.on('error', () => process.exit(0))
  process.stdin.resume()
}

/** Resolves when a `go` line arrives on stdin. */
export function goLine(): Promise<void> {
  return new Promise((resolve) => {
    let text = ''
    process.stdin.on('data', (chunk: Buffer) => {
      text += chunk
      if (text.split('\n').includes('go')) resolve()
    })
  })
}
