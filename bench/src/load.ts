// Starting one benchmark server process and driving it with autocannon from this process.
import { type ChildProcess, fork } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import autocannon from 'autocannon'
import type { Payload } from './payloads.js'
import { TOKEN } from './payloads.js'
import { OCTOKIT_PATH, OCTOKIT_SECRET } from './servers.js'

/** What one autocannon window measured: requests per second, latencies in ms, responses counted. */
export interface LoadResult {
  rps: number
  p50: number
  p99: number
  responses: number
}

/**
 * Starts `server-process.ts <name>` (built packages, as users load them) and waits for its port.
 * `env` is added to this process's environment (the queued scenarios read their Redis from it).
 *
 * @example
 * const { child, port } = await startServer('node:http bare')
 */
export async function startServer(
  name: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL('./server-process.ts', import.meta.url), [name], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const [message] = (await once(child, 'message')) as [{ port: number }]
  return { child, port: message.port }
}

/** Where and how a scenario receives a payload: ISC's bearer token, or octokit's signed headers. */
function request(name: string, port: number, payload: Payload) {
  if (name === 'octokit webhooks') {
    const signature = `sha256=${createHmac('sha256', OCTOKIT_SECRET).update(payload.body).digest('hex')}`
    return {
      url: `http://127.0.0.1:${port}${OCTOKIT_PATH}`,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        'x-hub-signature-256': signature,
      },
    }
  }
  return {
    url: `http://127.0.0.1:${port}/isc/triggers/${payload.trigger}`,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
  }
}

/** The value below which `share` of the (ascending) `sorted` latencies lie. */
function percentile(sorted: Float64Array, share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? 0
}

/**
 * Runs autocannon against scenario `name`; latencies are taken from each response's own timing
 * (fractions of a millisecond), not from autocannon's histogram, which records whole milliseconds.
 * A window with an error, a timeout or a non-2xx reply throws: it would measure the wrong thing.
 *
 * @example
 * const { rps, p99 } = await load('node:http bare', port, payloads[0], { seconds: 2, connections: 32 })
 */
export async function load(
  name: string,
  port: number,
  payload: Payload,
  { seconds, connections }: { seconds: number; connections: number },
): Promise<LoadResult> {
  const { url, headers } = request(name, port, payload)
  const latencies: number[] = []
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, method: 'POST', connections, duration: seconds, headers, body: payload.body },
      (error, done) => (error ? reject(error) : resolve(done)),
    )
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime))
  })
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0)
    throw new Error(
      `${name} / ${payload.label}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`,
    )
  const sorted = Float64Array.from(latencies).sort()
  return {
    rps: result.requests.average,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    responses: latencies.length,
  }
}
