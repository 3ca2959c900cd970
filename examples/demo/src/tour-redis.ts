// Where the crash tour's Redis comes from: REDIS_URL, or a private redis-server the demo starts
// (and stops), or none (the tour is skipped and says why).
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

/** A Redis the tour may use, and how to let go of it. */
export interface TourRedis {
  url: string
  /** Said in the output: where this Redis came from. */
  origin: string
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Starts `redis-server` on a free port, without persistence; resolves once it accepts connections. */
async function startPrivateRedis(): Promise<TourRedis> {
  const port = await freePort()
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  const closed = once(child, 'close')
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
      if (/ready to accept connections/i.test(output)) resolve()
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
    })
    closed.then(() => reject(new Error(`redis-server did not start on port ${port}:\n${output.trim()}`)))
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    origin: `a private redis-server on port ${port}, stopped at the end`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await closed
    },
  }
}

/**
 * The Redis for the crash tour: `REDIS_URL` when set; else a private `redis-server` when one is
 * on PATH; else the reason the tour cannot run.
 *
 * @example
 * const redis = await tourRedis()
 * if ('skipped' in redis) console.log(redis.skipped)
 * else try { ... redis.url ... } finally { await redis.stop() }
 */
export async function tourRedis(): Promise<TourRedis | { skipped: string }> {
  const url = process.env.REDIS_URL
  if (url) return { url, origin: `REDIS_URL (${url})`, stop: async () => {} }
  if (spawnSync('redis-server', ['--version']).error)
    return {
      skipped:
        'REDIS_URL is not set and redis-server is not on PATH. Set REDIS_URL=redis://host:port, or install Redis (apt-get install redis-server, brew install redis), to run it.',
    }
  return startPrivateRedis()
}
