import { bullmqQueue } from '@isc-triggers/bullmq'
import { type CompletionOptions, createTriggerReceiver, type TriggerReceiver } from '@isc-triggers/core'
import { registerHandlers } from './handlers.js'

/** Where ISC delivers: POST /isc/triggers/identity-created, /isc/triggers/access-request-pre-approval. */
export const TRIGGER_PATH = '/isc/triggers'

type Env = Record<string, string | undefined>

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)

/**
 * A whole number from the environment, or `fallback` when the variable is not set.
 *
 * @example
 * numberFromEnv(process.env, 'WORKER_CONCURRENCY', 8) // 8 unless WORKER_CONCURRENCY=16
 */
export function numberFromEnv(env: Env, name: string, fallback: number): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, not "${text}"`)
  return value
}

/**
 * BullMQ connection options (`{ host, port }`, and the password, db and TLS when the URL has them)
 * from a `redis://` or `rediss://` URL.
 *
 * @example
 * redisConnection('redis://:s3cret@redis.internal:6380/2') // { host: 'redis.internal', port: 6380, password: 's3cret', db: 2 }
 */
export function redisConnection(url: string) {
  const parsed = new URL(url)
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new Error(`REDIS_URL must be a redis:// URL, not "${url}"`)
  return {
    host: parsed.hostname || '127.0.0.1',
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.pathname.length > 1 ? { db: Number(parsed.pathname.slice(1)) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  }
}

/** How ASYNC decisions reach ISC: the API client (if any), and extra trusted callback origins. */
function completionFromEnv(env: Env): CompletionOptions {
  const completion: CompletionOptions = { allowedCallbackOrigins: list(env.ISC_CALLBACK_ORIGINS) }
  if (env.ISC_CLIENT_ID || env.ISC_CLIENT_SECRET) {
    completion.clientId = env.ISC_CLIENT_ID ?? ''
    completion.clientSecret = env.ISC_CLIENT_SECRET ?? ''
  }
  return completion
}

/**
 * The receiver of this service, the same in the web process and in every worker (same handlers,
 * same queue). Configured from the environment:
 *
 * - `ISC_TOKEN`: the subscriptions' bearer token(s), comma-separated (required).
 * - `ISC_JOB_KEY`: 32 bytes (`openssl rand -base64 32`) that seal invocation secrets in Redis;
 *   the same in every process (required).
 * - `REDIS_URL` (default `redis://127.0.0.1:6379`), `ISC_QUEUE` (default `isc-triggers`).
 * - `ISC_CLIENT_ID` / `ISC_CLIENT_SECRET`: an API client for the completion callbacks (optional).
 * - `ISC_CALLBACK_ORIGINS`: callback origins to trust besides ISC's API hosts (a test ISC).
 * - `SIMULATED_WORK_MS`: see `HandlerOptions.workMs`.
 *
 * @example
 * const receiver = createDurableReceiver(process.env)
 * http.createServer(toNodeHandler(receiver, { path: TRIGGER_PATH })).listen(3000)
 */
export function createDurableReceiver(env: Env = process.env, log?: (line: string) => void): TriggerReceiver {
  const tokens = list(env.ISC_TOKEN)
  if (tokens.length === 0)
    throw new Error('Set ISC_TOKEN to the bearer token of your ISC trigger subscriptions')
  if (!env.ISC_JOB_KEY)
    throw new Error(
      'Set ISC_JOB_KEY to 32 random bytes, the same in every process: `openssl rand -base64 32`',
    )
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens },
    completion: completionFromEnv(env),
    queue: bullmqQueue({
      connection: redisConnection(env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
      name: env.ISC_QUEUE || 'isc-triggers',
      sealKey: env.ISC_JOB_KEY,
    }),
  })
  registerHandlers(receiver, { ...(log ? { log } : {}), workMs: numberFromEnv(env, 'SIMULATED_WORK_MS', 0) })
  return receiver
}
