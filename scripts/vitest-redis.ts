import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'

// Vitest global setup: the Redis suites (dedupe, @isc-triggers/bullmq) need a Redis server. With
// REDIS_URL set (as .ci/run does), they use it. Without it, when `redis-server` is installed
// (`bash scripts/ensure-redis.sh` installs Debian's), a private one is started on a free loopback
// port for this run and stopped at the end, so `pnpm test` runs every suite on any machine.

let server: ChildProcess | undefined

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

function installed(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function ready(port: number): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    try {
      if (
        execFileSync('redis-cli', ['-p', String(port), 'ping'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'], // "Could not connect" until it is up
        }).trim() === 'PONG'
      )
        return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`redis-server on port ${port} did not answer PING`)
}

export async function setup(): Promise<void> {
  if (process.env.REDIS_URL || !installed()) return
  const port = await freePort()
  server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  )
  await ready(port)
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`
}

export function teardown(): void {
  server?.kill('SIGKILL')
}
