// `pnpm demo`: starts this example service as its own process, delivers triggers to it the way
// ISC does (POST, JSON body, the subscription's bearer token in Authorization), prints what
// happened, and exits non-zero if any reply was not the expected one.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { sampleInput } from '@isc-triggers/testing'

interface Delivery {
  what: string
  trigger: string
  body: unknown
  token: string
  expect: { status: number; check?: (reply: unknown) => boolean; shows: string }
}

const token = randomBytes(18).toString('base64url')
const identity = sampleInput('idn:identity-created')
const accessRequest = (itemName: string) =>
  sampleInput('idn:access-request-pre-approval', {
    accessRequestId: `ar-${itemName.toLowerCase().replace(/\W+/g, '-')}`,
    requestedItems: [
      { id: '2c9180835d2e5168015d32f890ca1581', name: itemName, type: 'ACCESS_PROFILE', operation: 'Add' },
    ],
  })
const approved = (value: boolean) => (reply: unknown) => (reply as { approved?: unknown }).approved === value

const deliveries: Delivery[] = [
  {
    what: 'fire-and-forget',
    trigger: 'identity-created',
    body: identity,
    token,
    expect: { status: 200, shows: '{} after the handler ran' },
  },
  {
    what: 'wrong bearer token',
    trigger: 'identity-created',
    body: identity,
    token: 'not-the-token',
    expect: { status: 401, shows: 'UNAUTHORIZED, handler not called' },
  },
  {
    what: 'payload fails the schema',
    trigger: 'identity-created',
    body: { identity: { type: 'IDENTITY', id: 42 } },
    token,
    expect: { status: 400, shows: 'INVALID_PAYLOAD with the paths' },
  },
  {
    what: 'request-response SYNC',
    trigger: 'access-request-pre-approval',
    body: accessRequest('Payroll Read'),
    token,
    expect: { status: 200, check: approved(true), shows: 'approved: true' },
  },
  {
    what: 'request-response SYNC',
    trigger: 'access-request-pre-approval',
    body: accessRequest('Prod Admin'),
    token,
    expect: { status: 200, check: approved(false), shows: 'approved: false' },
  },
]

function startService(): Promise<{ child: ChildProcess; base: string; logs: string[] }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@isc-triggers/source',
      fileURLToPath(new URL('./main.ts', import.meta.url)),
    ],
    { env: { ...process.env, ISC_TOKEN: token, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const logs: string[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the example service did not start within 20 s')), 20_000)
    child.once('exit', (code) => reject(new Error(`the example service exited early (code ${code})`)))
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        logs.push(line)
        const url = /listening on (http:\/\/\S+?)\/<trigger>/.exec(line)?.[1]
        if (url) {
          clearTimeout(timer)
          resolve({ child, base: url, logs })
        }
      }
    })
  })
}

async function deliver(base: string, delivery: Delivery) {
  const started = performance.now()
  const response = await fetch(`${base}/${delivery.trigger}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${delivery.token}` },
    body: JSON.stringify(delivery.body),
  })
  const text = await response.text()
  const ms = performance.now() - started
  const reply: unknown = JSON.parse(text)
  const ok = response.status === delivery.expect.status && (delivery.expect.check?.(reply) ?? true)
  return { status: response.status, ms, text, ok }
}

function row(cells: string[], widths: number[]) {
  return cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')
}

async function main() {
  console.log('Starting the example Express service (examples/express) ...')
  const { child, base, logs } = await startService()
  console.log(`Service up at ${base}; delivering like ISC does.\n`)
  const widths = [28, 26, 7, 9, 34, 4]
  console.log(row(['trigger', 'case', 'status', 'latency', 'reply', 'ok'], widths))
  let failures = 0
  for (const delivery of deliveries) {
    const result = await deliver(base, delivery)
    if (!result.ok) failures++
    const reply = result.text.length > 34 ? `${result.text.slice(0, 31)}...` : result.text
    console.log(
      row(
        [
          delivery.trigger,
          delivery.what,
          String(result.status),
          `${result.ms.toFixed(1)} ms`,
          reply,
          result.ok ? 'yes' : `NO (expected ${delivery.expect.status}: ${delivery.expect.shows})`,
        ],
        widths,
      ),
    )
  }
  // The service's own log shows the handlers ran (and that the rejected deliveries did not).
  const welcomed = logs.filter((line) => line.includes('welcome Ada Lovelace')).length
  if (welcomed !== 1) {
    failures++
    console.log(`\nNO: the identity-created handler ran ${welcomed} times, expected once`)
  }
  console.log('\nService log:')
  for (const line of logs) console.log(`  | ${line}`)
  child.kill('SIGTERM')
  await once(child, 'exit')
  console.log(
    failures === 0
      ? '\nDemo OK: every delivery got the reply ISC expects.'
      : `\nDemo FAILED: ${failures} problem(s).`,
  )
  process.exitCode = failures === 0 ? 0 : 1
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
