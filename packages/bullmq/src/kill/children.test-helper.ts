import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { configToEnv, type KillChildConfig } from './kill-config.fixture.js'

/** A running child process of a kill test. */
export interface KillChild {
  readonly process: ChildProcess
  /** What it printed on stderr so far (for failure messages). */
  stderr(): string
  /** Sends SIGKILL and resolves once the process is gone. */
  kill(): Promise<void>
}

/** A web child, with the base URL its receiver is mounted at. */
export interface WebChild extends KillChild {
  /** `http://127.0.0.1:<port>/isc/triggers` */
  readonly base: string
}

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url))
/** Longest wait for a child to say it is ready: a hang detector, never a speed check. */
const READY_TIMEOUT_MS = 60_000
const running = new Set<KillChild>()

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** A child's JSON lines on stdout, as they come, and a way to wait for one. */
class Messages {
  readonly #seen: Record<string, unknown>[] = []
  readonly #waiting = new Set<() => void>()
  #text = ''

  push(chunk: Buffer): void {
    this.#text += chunk
    const lines = this.#text.split('\n')
    this.#text = lines.pop() ?? ''
    for (const line of lines.filter((text) => text.trim().startsWith('{')))
      this.#seen.push(JSON.parse(line) as Record<string, unknown>)
    for (const wake of this.#waiting) wake()
  }

  /** The first message with `key`; rejects when `gone` settles first (the child died) or after the hang budget. */
  waitFor(key: string, gone: Promise<string>): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const finish = (outcome: () => void) => {
        clearTimeout(timer)
        this.#waiting.delete(look)
        outcome()
      }
      const look = () => {
        const found = this.#seen.find((message) => key in message)
        if (found) finish(() => resolve(found))
      }
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no "${key}" within ${READY_TIMEOUT_MS} ms`))),
        READY_TIMEOUT_MS,
      )
      gone.then((why) => finish(() => reject(new Error(`${why} before "${key}"`))))
      this.#waiting.add(look)
      look()
    })
  }
}

/** Starts `<script>.fixture.ts` under tsx (the workspace packages from their TypeScript sources). */
function startChild(
  script: 'web' | 'worker',
  config: KillChildConfig,
  extraEnv: Record<string, string> = {},
): KillChild & { waitFor(key: string): Promise<Record<string, unknown>> } {
  const entry = fileURLToPath(new URL(`./${script}.fixture.ts`, import.meta.url))
  const proc = spawn(process.execPath, ['--conditions=@isc-triggers/source', '--import', 'tsx', entry], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...configToEnv(config), ...extraEnv },
    // stdin stays open: the child exits when it closes (this process died without killing it).
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk
  })
  const messages = new Messages()
  proc.stdout?.on('data', (chunk: Buffer) => messages.push(chunk))
  const gone = new Promise<string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(`the ${config.role} child exited (${code ?? signal})`)),
  )
  const child = {
    process: proc,
    stderr: () => stderr,
    async kill() {
      proc.kill('SIGKILL')
      await exited(proc)
      running.delete(child)
    },
    async waitFor(key: string) {
      try {
        return await messages.waitFor(key, gone)
      } catch (error) {
        throw new Error(`The ${config.role} child: ${(error as Error).message}. stderr:\n${stderr}`)
      }
    },
  }
  running.add(child)
  return child
}

/**
 * Starts a web child (see web.fixture.ts) and waits until it listens.
 *
 * @example
 * const web = await startWebChild({ ...config, role: 'web' })
 * await fetch(`${web.base}/identity-created`, { method: 'POST', ... })
 */
export async function startWebChild(config: KillChildConfig): Promise<WebChild> {
  const child = startChild('web', config)
  const { port } = await child.waitFor('port')
  return { ...child, base: `http://127.0.0.1:${port}/isc/triggers` }
}

/**
 * Starts a worker child (see worker.fixture.ts) and waits until it is connected.
 *
 * @example
 * const workerA = await startWorkerChild({ ...config, role: 'A', hang: true })
 * await workerA.kill() // SIGKILL
 */
export async function startWorkerChild(config: KillChildConfig): Promise<KillChild> {
  const child = startChild('worker', config)
  await child.waitFor('ready')
  return child
}

/**
 * Loads a worker child now (its start-up is slow under tsx) but starts its worker only when
 * `go()` is called: a worker that takes no job before then.
 *
 * @example
 * const workerB = await loadWorkerChild(config)
 * await workerA.kill()
 * await workerB.go()
 */
export async function loadWorkerChild(config: KillChildConfig): Promise<KillChild & { go(): Promise<void> }> {
  const child = startChild('worker', config, { KILL_WAIT_FOR_GO: '1' })
  await child.waitFor('loaded')
  return {
    ...child,
    async go() {
      child.process.stdin?.write('go\n')
      await child.waitFor('ready')
    },
  }
}

/**
 * SIGKILLs every child still running (call it in afterEach, whatever the test did).
 *
 * @example
 * afterEach(killAllChildren)
 */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.kill()))
}
