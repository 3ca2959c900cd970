/**
 * What the kill -9 tests pass to their child processes (web and worker), as environment
 * variables, and the Redis lists in which the children's handlers record their runs.
 */

/** The bearer token every child's receiver accepts. */
export const KILL_TOKEN = 'kill-test-token'

/** Settings of one child process. */
export interface KillChildConfig {
  redisUrl: string
  /** The BullMQ queue's name (unique per test). */
  queue: string
  sealKey: string
  /** `web`, or a worker's name (`A`, `B`): recorded with every handler run. */
  role: string
  /** True for a worker that hangs (forever, mid-handler) on deliveries whose id starts with `hang`. */
  hang: boolean
  concurrency: number
  /** The origin ASYNC callbacks may go to (the fake ISC, or a proxy in front of it). */
  callbackOrigin?: string
}

/**
 * The Redis lists the handlers push to (`<role>:<id>` entries): they survive a SIGKILL.
 *
 * @example
 * killKeys('t-1a2b3c4d').handled // 't-1a2b3c4d:handled'
 */
export function killKeys(queue: string): { handled: string; started: string; runs: string } {
  return {
    /** Fire-and-forget: one entry per handler run that finished. */
    handled: `${queue}:handled`,
    /** Fire-and-forget: a hanging handler started (it never finishes in that worker). */
    started: `${queue}:started`,
    /** ASYNC: one entry per handler run (pushed when the run starts). */
    runs: `${queue}:runs`,
  }
}

/**
 * The environment of a child process with `config`.
 *
 * @example
 * spawn(node, args, { env: { ...process.env, ...configToEnv(config) } })
 */
export function configToEnv(config: KillChildConfig): Record<string, string> {
  return {
    KILL_REDIS_URL: config.redisUrl,
    KILL_QUEUE: config.queue,
    KILL_SEAL_KEY: config.sealKey,
    KILL_ROLE: config.role,
    KILL_HANG: config.hang ? '1' : '0',
    KILL_CONCURRENCY: String(config.concurrency),
    KILL_CALLBACK_ORIGIN: config.callbackOrigin ?? '',
  }
}

/**
 * The config a child process was started with (see {@link configToEnv}).
 *
 * @example
 * const config = configFromEnv(process.env)
 */
export function configFromEnv(env: NodeJS.ProcessEnv): KillChildConfig {
  const need = (name: string): string => {
    const value = env[name]
    if (!value) throw new Error(`kill test child: ${name} is not set`)
    return value
  }
  const config: KillChildConfig = {
    redisUrl: need('KILL_REDIS_URL'),
    queue: need('KILL_QUEUE'),
    sealKey: need('KILL_SEAL_KEY'),
    role: need('KILL_ROLE'),
    hang: env.KILL_HANG === '1',
    concurrency: Number(env.KILL_CONCURRENCY || '4'),
  }
  if (env.KILL_CALLBACK_ORIGIN) config.callbackOrigin = env.KILL_CALLBACK_ORIGIN
  return config
}
