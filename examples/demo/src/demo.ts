// `pnpm demo`: starts each example service as its own process (Express, Koa, Fastify, NestJS), delivers
// triggers to them the way ISC does (POST, JSON body, the subscription's bearer token in
// Authorization), prints what happened, and exits non-zero if any reply was not the expected one
// or a handler did not run.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import {
  type AnyTrigger,
  catalog,
  createTriggerReceiver,
  type TriggerId,
  toNodeHandler,
} from '@isc-triggers/core'
import {
  deliver as deliverLikeIsc,
  type FakeIsc,
  sampleInput,
  sampleOutputs,
  startFakeIsc,
} from '@isc-triggers/testing'
import { crashTour } from './crash-tour.js'
import { traceTour } from './trace-tour.js'

interface Delivery {
  trigger: string
  what: string
  body: unknown
  /** Sent as it is instead of `body` as JSON (a body the receiver must refuse). */
  raw?: string
  token?: string
  status: number
  check?: (reply: unknown) => boolean
}

interface Service {
  name: string
  args: string[]
  deliveries: Delivery[]
  /** A line each handler that ran must have logged. */
  logged: string[]
}

const token = randomBytes(18).toString('base64url')
const example = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url))
const tsx = (path: string) => ['--import', 'tsx', '--conditions=@isc-triggers/source', example(path)]
const has = (key: string, value: unknown) => (reply: unknown) =>
  (reply as Record<string, unknown>)[key] === value
const accessRequest = (itemName: string) =>
  sampleInput('idn:access-request-pre-approval', {
    accessRequestId: `ar-${itemName.toLowerCase().replace(/\W+/g, '-')}`,
    requestedItems: [
      { id: '2c9180835d2e5168015d32f890ca1581', name: itemName, type: 'ACCESS_PROFILE', operation: 'Add' },
    ],
  })

const services: Service[] = [
  {
    name: 'express',
    args: tsx('examples/express/src/main.ts'),
    deliveries: [
      {
        trigger: 'identity-created',
        what: 'fire-and-forget',
        body: sampleInput('idn:identity-created'),
        status: 200,
      },
      {
        trigger: 'identity-created',
        what: 'wrong bearer token',
        body: sampleInput('idn:identity-created'),
        token: 'not-the-token',
        status: 401,
      },
      {
        trigger: 'identity-created',
        what: 'payload fails the schema',
        body: { identity: { type: 'IDENTITY', id: 42 } },
        status: 400,
      },
      {
        trigger: 'access-request-pre-approval',
        what: 'SYNC decision',
        body: accessRequest('Payroll Read'),
        status: 200,
        check: has('approved', true),
      },
      {
        trigger: 'access-request-pre-approval',
        what: 'SYNC decision',
        body: accessRequest('Prod Admin'),
        status: 200,
        check: has('approved', false),
      },
    ],
    logged: ['welcome Ada Lovelace', 'ar-payroll-read approved', 'ar-prod-admin denied'],
  },
  {
    name: 'koa',
    args: tsx('examples/koa/src/main.ts'),
    deliveries: [
      {
        trigger: 'account-aggregation-completed',
        what: 'fire-and-forget',
        body: sampleInput('idn:account-aggregation-completed'),
        status: 200,
      },
      {
        trigger: 'idn:identity-attributes-changed',
        what: 'full id in the path',
        body: sampleInput('idn:identity-attributes-changed'),
        status: 200,
      },
      { trigger: 'no-such-trigger', what: 'unknown trigger', body: {}, status: 404 },
    ],
    logged: ['Workday HR Success', 'Ada Lovelace moved from Research to Engineering'],
  },
  {
    name: 'fastify',
    args: tsx('examples/fastify/src/main.ts'),
    deliveries: [
      {
        trigger: 'identity-deleted',
        what: 'fire-and-forget (plugin)',
        body: sampleInput('idn:identity-deleted'),
        status: 200,
      },
      {
        trigger: 'identity-deleted',
        what: 'malformed JSON',
        body: undefined,
        raw: '{"identity":',
        status: 400,
      },
      {
        trigger: 'access-request-pre-approval',
        what: 'SYNC decision',
        body: accessRequest('Prod Admin'),
        status: 200,
        check: has('approved', false),
      },
    ],
    logged: ['offboard Ada Lovelace', 'ar-prod-admin denied'],
  },
  {
    name: 'nestjs',
    args: [example('examples/nestjs/dist/main.js')],
    deliveries: [
      {
        trigger: 'identity-created',
        what: '@OnTrigger fire-and-forget',
        body: sampleInput('idn:identity-created'),
        status: 200,
      },
      {
        trigger: 'access-request-dynamic-approver',
        what: '@OnTrigger SYNC decision',
        body: sampleInput('idn:access-request-dynamic-approver'),
        status: 200,
        check: has('name', 'Payroll Data Owners'),
      },
    ],
    logged: ['welcome Ada Lovelace', 'payroll owners added'],
  },
]

function start(service: Service): Promise<{ child: ChildProcess; base: string; logs: string[] }> {
  const child = spawn(process.execPath, service.args, {
    env: { ...process.env, ISC_TOKEN: token, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const logs: string[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the ${service.name} example did not start within 30 s`)),
      30_000,
    )
    child.once('exit', (code) => reject(new Error(`the ${service.name} example exited early (code ${code})`)))
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
    headers: { 'content-type': 'application/json', authorization: `Bearer ${delivery.token ?? token}` },
    body: delivery.raw ?? JSON.stringify(delivery.body),
  })
  const text = await response.text()
  const ms = performance.now() - started
  const ok = response.status === delivery.status && (delivery.check?.(JSON.parse(text)) ?? true)
  return { status: response.status, ms, text, ok }
}

const widths = [8, 32, 27, 7, 9, 34, 3]
const row = (cells: string[], columns = widths) =>
  cells.map((cell, i) => cell.padEnd(columns[i] ?? 0)).join('  ')
const tourWidths = [8, 36, 34, 7, 9, 22, 3]

/** A receiver with a handler for every catalog trigger, request-response ones in `mode`. */
function tourApp(mode: 'sync' | 'async' | 'dynamic', isc: FakeIsc, handled: Set<string>) {
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens: [token] },
    logger: false,
    completion: { allowedCallbackOrigins: [isc.origin] },
  })
  for (const trigger of Object.values(catalog as Record<string, AnyTrigger>)) {
    const output = (sampleOutputs as Record<string, unknown>)[trigger.id]
    const handler = (_input: unknown, ctx: { defer(): void }) => {
      handled.add(trigger.id)
      // In DYNAMIC mode the dynamic approver takes its time (202, then the callback); the other answers now.
      if (mode === 'dynamic' && trigger.id === 'idn:access-request-dynamic-approver') ctx.defer()
      return output
    }
    receiver.on(
      trigger,
      handler as never,
      (trigger.type === 'request-response' ? { mode } : undefined) as never,
    )
  }
  return toNodeHandler(receiver, { path: '/isc/triggers' })
}

/**
 * The tour of the catalog: every trigger delivered like ISC to a receiver (over HTTP, through the
 * node:http bridge), then each request-response trigger in each reply mode, callbacks to a fake ISC.
 */
async function catalogTour(): Promise<number> {
  const isc = await startFakeIsc()
  const handled = new Set<string>()
  const triggers = Object.values(catalog as Record<string, AnyTrigger>).sort((a, b) =>
    a.id.localeCompare(b.id),
  )
  let failures = 0
  console.log(`\nEvery catalog trigger (${triggers.length}), delivered like ISC to one receiver:\n`)
  const app = tourApp('sync', isc, handled)
  const cells: string[] = []
  for (const trigger of triggers) {
    const reply = await deliverLikeIsc(app, trigger.id as TriggerId, undefined, { bearer: token })
    const ok = reply.status === 200 && handled.has(trigger.id)
    if (!ok) failures++
    cells.push(`${ok ? 'ok' : 'NO'} ${reply.status} ${trigger.id.padEnd(44)}`)
  }
  for (let i = 0; i < cells.length; i += 2)
    console.log(`  ${cells[i]}${cells[i + 1] ? `  ${cells[i + 1]}` : ''}`)

  console.log('\nRequest-response triggers in each reply mode (callbacks go to a fake ISC):\n')
  console.log(row(['mode', 'trigger', 'reply', 'status', 'latency', 'then', 'ok'], tourWidths))
  for (const mode of ['sync', 'async', 'dynamic'] as const) {
    const modeApp = tourApp(mode, isc, handled)
    for (const trigger of triggers.filter((t) => t.type === 'request-response')) {
      const reply = await deliverLikeIsc(modeApp, trigger.id as TriggerId, undefined, {
        bearer: token,
        mode,
        isc,
      })
      const completion = reply.completion ? await reply.completion.catch(() => undefined) : undefined
      const deferred = mode === 'dynamic' && trigger.id === 'idn:access-request-dynamic-approver'
      const expected = deferred ? 202 : 200
      const calledBack = mode === 'async' || deferred
      const ok = reply.status === expected && (calledBack ? completion?.status === 204 : !reply.completion)
      if (!ok) failures++
      const then = completion
        ? `callback, ISC ${completion.status}`
        : calledBack
          ? 'NO callback'
          : 'decision in the reply'
      const body = JSON.stringify(reply.body)
      console.log(
        row(
          [
            mode,
            trigger.id,
            body.length > 34 ? `${body.slice(0, 31)}...` : body,
            String(reply.status),
            `${reply.durationMs.toFixed(1)} ms`,
            then,
            ok ? 'yes' : 'NO',
          ],
          tourWidths,
        ),
      )
    }
  }
  await isc.close()
  return failures
}

async function main() {
  let failures = 0
  console.log(
    'Starting the example services (examples/express, examples/koa, examples/fastify, examples/nestjs) ...\n',
  )
  console.log(row(['service', 'trigger', 'case', 'status', 'latency', 'reply', 'ok']))
  const logsOf: [string, string[]][] = []
  for (const service of services) {
    const { child, base, logs } = await start(service)
    for (const delivery of service.deliveries) {
      const result = await deliver(base, delivery)
      if (!result.ok) failures++
      const reply = result.text.length > 34 ? `${result.text.slice(0, 31)}...` : result.text
      const ok = result.ok ? 'yes' : `NO (expected ${delivery.status})`
      console.log(
        row([
          service.name,
          delivery.trigger,
          delivery.what,
          String(result.status),
          `${result.ms.toFixed(1)} ms`,
          reply,
          ok,
        ]),
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 50)) // let the last log lines arrive
    for (const expected of service.logged)
      if (!logs.some((line) => line.includes(expected))) {
        failures++
        console.log(`NO: ${service.name} never logged "${expected}": a handler did not run`)
      }
    child.kill('SIGTERM')
    await once(child, 'exit')
    logsOf.push([service.name, logs])
  }
  failures += await catalogTour()
  failures += await traceTour()
  failures += await crashTour()
  console.log('\nWhat the services logged (the handlers ran; rejected deliveries reached none):')
  for (const [name, logs] of logsOf) for (const line of logs) console.log(`  ${name.padEnd(8)}| ${line}`)
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
