import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, Socket } from 'node:net'

/** How long a redis-server may take to answer PING after it was started (a busy machine is slow). */
const START_BUDGET_MS = 30_000

/** A TCP port nobody listens on at the moment (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** True when a Redis on `port` answers `PING` with `+PONG`. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket()
    let answer = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(2_000, () => done(false))
    socket.on('error', () => done(false))
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1')
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'))
    })
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'))
  })
}

/**
 * A redis-server of a test's own, on `port`, without persistence: the test may kill it (a crash)
 * and start another on the same port. Never the shared Redis of the other suites.
 *
 * @example
 * const redis = new OwnRedis(await freePort())
 * await redis.start()
 * await redis.kill() // Redis is down: the receiver's stores fail
 * await redis.start() // up again, empty
 */
export class OwnRedis {
  readonly port: number
  #child: ChildProcess | undefined
  #log = ''

  constructor(port: number) {
    this.port = port
  }

  /** Connection options for BullMQ / ioredis. */
  get connection(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port }
  }

  /** Starts redis-server and resolves once it answers PING. */
  async start(): Promise<void> {
    if (this.#child) throw new Error('OwnRedis: already running')
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.#child = child
    child.stdout?.on('data', (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-4_000)
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-4_000)
    })
    const exited = once(child, 'exit').then(() => 'exited' as const)
    const giveUp = Date.now() + START_BUDGET_MS
    while (Date.now() < giveUp) {
      if (await ping(this.port)) return
      const state = await Promise.race([
        exited,
        new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 50)),
      ])
      if (state === 'exited') {
        this.#child = undefined
        throw new Error(`redis-server on port ${this.port} exited at start:\n${this.#log}`)
      }
    }
    await this.kill()
    throw new Error(`redis-server on port ${this.port} did not answer PING:\n${this.#log}`)
  }

  /** Kills redis-server at once (SIGKILL, as a crash) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child
    this.#child = undefined
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
}
