// The Redis the queued rows use: REDIS_URL when set, otherwise a private redis-server started
// for the run (no persistence, loopback only) and stopped at the end.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { Queue } from 'bullmq'

/** A Redis to use, or why the queued rows are skipped. */
export type BenchRedis = { url: string; stop(): Promise<void> } | { skipped: string }

/** The seal key of the benchmark queues (32 bytes, base64); a fixed one is fine for a benchmark. */
export const BENCH_SEAL_KEY = Buffer.alloc(32, 5).toString('base64')

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** Resolves once redis-server prints that it accepts connections; rejects if it exits first. */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk
      if (output.includes('Ready to accept connections')) resolve()
    })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output.slice(-500)}`)))
  })
}

/**
 * REDIS_URL if set; otherwise a redis-server of our own on a free port. Without either, the
 * reason the queued rows are skipped.
 *
 * @example
 * const redis = await benchRedis()
 * if ('url' in redis) { ...; await redis.stop() }
 */
export async function benchRedis(): Promise<BenchRedis> {
  const given = process.env.REDIS_URL
  if (given) return { url: given, stop: async () => {} }
  const port = await freePort()
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  try {
    await ready(child)
  } catch (error) {
    child.kill()
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    return {
      skipped: missing
        ? 'REDIS_URL is not set and redis-server is not installed'
        : `REDIS_URL is not set and redis-server did not start: ${(error as Error).message}`,
    }
  }
  child.stdout?.resume()
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.kill()
      await exited
    },
  }
}

/** Removes a benchmark queue and every job in it. */
export async function obliterate(url: string, name: string): Promise<void> {
  const queue = new Queue(name, { connection: { url } })
  try {
    await queue.obliterate({ force: true })
  } finally {
    await queue.close()
  }
}
