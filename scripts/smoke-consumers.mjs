#!/usr/bin/env node
// Proves the built packages work for real users: packs every @isc-triggers package as npm would
// publish it, installs the tarballs with npm into one project outside the workspace holding a
// CommonJS and an ESM consumer, type-checks each consumer (CommonJS with
// legacy node10 resolution, ESM with nodenext), and runs an Express app from each that
// receives a delivery over HTTP, then Fastify, AWS Lambda, OpenTelemetry, BullMQ (with REDIS_URL)
// and, in CommonJS, NestJS on Express and on Fastify (also under Jest) and Koa. Needs `pnpm build` first. Exits non-zero on any failure.
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const work = mkdtempSync(join(tmpdir(), 'isc-triggers-consumers-'))
const tarballs = join(work, 'tarballs')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')

function run(command, args, cwd) {
  execFileSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] })
}

/** {@link run}, without waiting: for steps that may run side by side. */
function runAsync(command, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')}: exit ${code}`)),
    )
  })
}

const versions = {
  jest: '30.5.2',
  express: '5.3.0',
  zod: '4.6.7',
  bullmq: '6.7.0',
  '@opentelemetry/api': '1.9.1',
  '@opentelemetry/sdk-trace-base': '2.12.1',
  '@opentelemetry/context-async-hooks': '2.12.1',
  '@types/express': '5.0.6',
  '@types/node': '^20.19.0',
}

// The durable queue: a web receiver and a worker in one process, on CI's Redis (REDIS_URL).
const durable = (load) => `${load}
async function main() {
  if (typeof bullmqQueue !== 'function' || typeof startTriggerWorker !== 'function') throw new Error('exports missing')
  if (!process.env.REDIS_URL) return console.log('durable: REDIS_URL not set, exports checked only')
  const name = 'smoke-' + process.pid
  const build = (seen) => {
    const receiver = createTriggerReceiver({
      auth: { type: 'none' }, logger: false,
      queue: bullmqQueue({ connection: { url: process.env.REDIS_URL }, name, sealKey: Buffer.alloc(32, 1) }),
    })
    receiver.on('idn:identity-created', (input) => { seen.push(input.identity.name) })
    return receiver
  }
  const web = build([]), seen = [], workerSide = build(seen)
  const reply = await web.handle({ method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(sampleInput('idn:identity-created')), trigger: 'identity-created' })
  const worker = startTriggerWorker(workerSide, { concurrency: 1 })
  for (let i = 0; i < 600 && seen.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  await worker.close()
  await workerSide.close()
  const queue = web.close()
  await queue
  const fine = reply.status === 200 && seen[0] === 'Ada Lovelace'
  console.log(fine ? 'durable OK' : 'durable FAILED', reply.status, JSON.stringify(seen))
  if (!fine) process.exitCode = 1
}
main().catch((error) => { console.error(error); process.exitCode = 1 })
`

// OpenTelemetry: one delivery through instrumentTriggers(), with the SDK's in-memory exporter. The
// handler's own span must be a child of the delivery span (the private AsyncLocalStorage access).
const otel = (load) => `${load}
context.setGlobalContextManager(new AsyncLocalStorageContextManager())
const exporter = new InMemorySpanExporter()
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const instrumentation = instrumentTriggers({ tracerProvider })
const receiver = createTriggerReceiver({ auth: { type: 'none' }, logger: false })
receiver.on('idn:identity-created', async () => {
  await new Promise((resolve) => setImmediate(resolve))
  tracerProvider.getTracer('user').startActiveSpan('user work', (span) => span.end())
})
receiver.handle({ method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify(sampleInput('idn:identity-created')), trigger: 'identity-created' }).then((reply) => {
  instrumentation.disable()
  const [user, delivery] = exporter.getFinishedSpans()
  const fine = reply.status === 200 && delivery?.name === 'process idn:identity-created' &&
    user?.parentSpanContext?.spanId === delivery.spanContext().spanId && !tracingChannel('isc-triggers:delivery').hasSubscribers
  console.log(fine ? 'otel OK' : 'otel FAILED', reply.status, JSON.stringify(exporter.getFinishedSpans().map((s) => s.name)))
  process.exitCode = fine ? 0 : 1
})
`

// Fastify and AWS Lambda: a Fastify app with the plugin over HTTP, an HTTP API (v2) event through
// toLambdaHandler, and an ISC EventBridge event through toEventBridgeHandler.
const reach = (load) => `${load}
const token = 'consumer-token'
const seen = []
const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [token] }, logger: false })
receiver.on('idn:identity-created', (input) => { seen.push(input.identity.name) })
const body = JSON.stringify(sampleInput('idn:identity-created'))
async function main() {
  const app = Fastify()
  await app.register(triggersPlugin, { receiver, prefix: '/isc/triggers' })
  const base = (await app.listen({ port: 0, host: '127.0.0.1' })) + '/isc/triggers/identity-created'
  const post = (auth) => fetch(base, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body })
  const fastify = [(await post('Bearer ' + token)).status, (await post('Bearer wrong')).status]
  await app.close()
  const lambdaReceiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [token] }, logger: false })
  lambdaReceiver.on('idn:identity-created', (input) => { seen.push(input.identity.name) })
  const http = toLambdaHandler(lambdaReceiver, { path: '/isc/triggers' })
  const lambda = await http({ version: '2.0', routeKey: '$default', rawPath: '/isc/triggers/identity-created', rawQueryString: '',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
    requestContext: { http: { method: 'POST', path: '/isc/triggers/identity-created' }, stage: '$default' },
    body: Buffer.from(body).toString('base64'), isBase64Encoded: true })
  await toEventBridgeHandler(lambdaReceiver)({ version: '0', id: 'e1', 'detail-type': 'idn:identity-created', source: 'aws.partner/sailpoint.com/t/idn/identity-created',
    account: '1', time: new Date().toISOString(), region: 'us-east-1', resources: [], detail: JSON.parse(body) })
  const fine = fastify[0] === 200 && fastify[1] === 401 && lambda.statusCode === 200 && seen.length === 3
  console.log(fine ? 'fastify + aws-lambda OK' : 'fastify + aws-lambda FAILED', JSON.stringify({ fastify, lambda: lambda.statusCode, seen }))
  process.exitCode = fine ? 0 : 1
}
main().catch((error) => { console.error(error); process.exitCode = 1 })
`

const frameworks = {
  koa: '3.3.0',
  '@koa/router': '15.7.0',
  '@nestjs/common': '11.2.10',
  '@nestjs/core': '11.2.10',
  '@nestjs/platform-express': '11.2.10',
  'reflect-metadata': '0.2.2',
  rxjs: '7.8.2',
  fastify: '5.12.8',
  '@nestjs/platform-fastify': '11.2.8',
}

// A Nest application in plain CommonJS (Nest's default), decorators applied by hand, and a Koa
// app: used by a script and by a Jest test (Jest runs CommonJS).
const nestAndKoa = `require('reflect-metadata')
const { Injectable, Module } = require('@nestjs/common')
const { NestFactory } = require('@nestjs/core')
const Koa = require('koa')
const Router = require('@koa/router')
const { createTriggerReceiver } = require('@isc-triggers/core')
const { OnTrigger, TriggersModule } = require('@isc-triggers/nestjs')
const { createTriggerMiddleware } = require('@isc-triggers/koa')
const { sampleInput } = require('@isc-triggers/testing')

const token = 'consumer-token'
const auth = { type: 'bearer', tokens: [token] }
const send = (url, trigger, payload, secret = token) => fetch(url + trigger, {
  method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + secret }, body: JSON.stringify(payload),
})

async function nest(platform) {
  const seen = []
  class Handlers {
    welcome(input) { seen.push(input.identity.name) }
    decide() { return { approved: true, comment: 'ok', approver: 'svc' } }
  }
  for (const [method, id] of [['welcome', 'idn:identity-created'], ['decide', 'idn:access-request-pre-approval']])
    OnTrigger(id)(Handlers.prototype, method, Object.getOwnPropertyDescriptor(Handlers.prototype, method))
  Injectable()(Handlers)
  class AppModule {}
  Module({ imports: [TriggersModule.forRoot({ auth, logger: false })], providers: [Handlers] })(AppModule)
  const options = { logger: false, rawBody: true }
  const app = await (platform === 'fastify'
    ? NestFactory.create(AppModule, new (require('@nestjs/platform-fastify').FastifyAdapter)(), options)
    : NestFactory.create(AppModule, options))
  app.setGlobalPrefix('api')
  await app.listen(0, '127.0.0.1')
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1') + '/api/isc/triggers/'
  const ok = await send(url, 'identity-created', sampleInput('idn:identity-created'))
  const denied = await send(url, 'identity-created', sampleInput('idn:identity-created'), 'wrong')
  const decision = await (await send(url, 'access-request-pre-approval', sampleInput('idn:access-request-pre-approval'))).json()
  await app.close()
  return { ok: ok.status, denied: denied.status, approved: decision.approved, seen }
}

async function koa() {
  const receiver = createTriggerReceiver({ auth, logger: false })
  const seen = []
  receiver.on('idn:identity-created', (input) => { seen.push(input.identity.name) })
  const app = new Koa()
  const router = new Router()
  router.post('/isc/triggers/:trigger', createTriggerMiddleware(receiver))
  app.use(router.routes())
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const url = 'http://127.0.0.1:' + server.address().port + '/isc/triggers/'
  const ok = await send(url, 'identity-created', sampleInput('idn:identity-created'))
  server.close()
  return { ok: ok.status, seen }
}

module.exports = { nest, koa }
`

const nestScript = `const { nest, koa } = require('./frameworks.cjs')
Promise.all([nest('express'), nest('fastify'), koa()]).then(([n, f, k]) => {
  const nestFine = (r) => r.ok === 200 && r.denied === 401 && r.approved === true && r.seen[0] === 'Ada Lovelace'
  const fine = nestFine(n) && nestFine(f) && k.ok === 200 && k.seen.length === 1
  console.log(fine ? 'nest (Express and Fastify) + koa (CommonJS) OK' : 'nest + koa FAILED', JSON.stringify({ n, f, k }))
  process.exitCode = fine ? 0 : 1
})
`

const jestTest = `const { nest, koa } = require('./frameworks.cjs')
test('a CommonJS Nest app receives triggers through @isc-triggers/nestjs', async () => {
  expect(await nest('express')).toEqual({ ok: 200, denied: 401, approved: true, seen: ['Ada Lovelace'] })
})
test('a Koa route receives triggers through @isc-triggers/koa', async () => {
  expect(await koa()).toEqual({ ok: 200, seen: ['Ada Lovelace'] })
})
`

// The consumer program, the same in both module systems but for how it loads the packages.
const body = (load) => `${load}
const token = 'consumer-token'
const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [token] }, logger: false })
const seen = []
receiver.on('idn:identity-created', (input) => { seen.push(input.identity.name) })
receiver.on('idn:access-request-pre-approval', () => ({ approved: true, comment: 'ok', approver: 'svc' }))
const app = express()
app.use('/isc/triggers', createTriggerMiddleware(receiver))
const server = app.listen(0, '127.0.0.1', async () => {
  const base = 'http://127.0.0.1:' + server.address().port + '/isc/triggers/'
  const send = (trigger, payload, auth) => fetch(base + trigger, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify(payload),
  })
  const identity = sampleInput('idn:identity-created', { identity: { name: 'Ada' } })
  const request = {
    accessRequestId: 'a1',
    requestedFor: { type: 'IDENTITY', id: '1', name: 'Ada' },
    requestedItems: [{ id: 'i1', name: 'Item', type: 'ROLE', operation: 'Add' }],
    requestedBy: { type: 'IDENTITY', id: '2', name: 'Grace' },
  }
  const ok = await send('identity-created', identity, 'Bearer ' + token)
  const denied = await send('identity-created', identity, 'Bearer wrong')
  const decision = await send('access-request-pre-approval', request, 'Bearer ' + token)
  const decided = await decision.json()
  server.close()
  const fine = ok.status === 200 && denied.status === 401 && decision.status === 200 && decided.approved === true && seen[0] === 'Ada'
  console.log(fine ? 'consumer OK' : 'consumer FAILED', ok.status, denied.status, decision.status, JSON.stringify(seen))
  process.exitCode = fine ? 0 : 1
})
`

const reachTypes = [
  "import { toEventBridgeHandler, toLambdaHandler } from '@isc-triggers/aws-lambda'",
  "import { triggersPlugin } from '@isc-triggers/fastify'",
  "import Fastify from 'fastify'",
  "import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, EventBridgeHandler, Handler } from 'aws-lambda'",
].join('\n')

const typeCheck = (importLine) => `${importLine}
${reachTypes}
const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: ['t'] } })
receiver.on('idn:identity-created', (input) => { const name: string = input.identity.name; void name })
const sample: string = sampleInput('idn:identity-created').identity.name
void sample
receiver.on('idn:access-request-pre-approval', () => ({ approved: true, comment: 'ok', approver: 'svc' }))
const app = express()
app.use('/isc/triggers', createTriggerMiddleware(receiver))
const instrumentation = instrumentTriggers({ tracerProvider: trace.getTracerProvider(), meterProvider: metrics.getMeterProvider() })
instrumentation.disable()
const queued = createTriggerReceiver({ auth: { type: 'none' }, queue: bullmqQueue({ connection: { host: '127.0.0.1', port: 6379 }, sealKey: false }) })
queued.on('idn:identity-created', () => {}, { queue: false })
const worker = startTriggerWorker(queued, { concurrency: 2 })
void worker.close
const lambda: Handler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> = toLambdaHandler(receiver, { path: '/isc/triggers' })
const events: EventBridgeHandler<string, unknown, void> = toEventBridgeHandler(receiver)
void lambda, events
void Fastify().register(triggersPlugin, { receiver, prefix: '/isc/triggers' })
export {}
`

const consumers = [
  {
    name: 'cjs',
    type: 'commonjs',
    file: 'index.cjs',
    code: body(
      "const express = require('express')\nconst { createTriggerReceiver } = require('@isc-triggers/core')\nconst { createTriggerMiddleware } = require('@isc-triggers/express')\nconst { sampleInput } = require('@isc-triggers/testing')",
    ),
    tsconfig: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true },
    extra: {
      'frameworks.cjs': nestAndKoa,
      'nest.cjs': nestScript,
      'frameworks.test.cjs': jestTest,
      'otel.cjs': otel(
        "const { tracingChannel } = require('node:diagnostics_channel')\nconst { context } = require('@opentelemetry/api')\nconst { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks')\nconst { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base')\nconst { createTriggerReceiver } = require('@isc-triggers/core')\nconst { instrumentTriggers } = require('@isc-triggers/otel')\nconst { sampleInput } = require('@isc-triggers/testing')",
      ),
      'reach.cjs': reach(
        "const Fastify = require('fastify')\nconst { createTriggerReceiver } = require('@isc-triggers/core')\nconst { triggersPlugin } = require('@isc-triggers/fastify')\nconst { toEventBridgeHandler, toLambdaHandler } = require('@isc-triggers/aws-lambda')\nconst { sampleInput } = require('@isc-triggers/testing')",
      ),
      'durable.cjs': durable(
        "const { createTriggerReceiver } = require('@isc-triggers/core')\nconst { bullmqQueue, startTriggerWorker } = require('@isc-triggers/bullmq')\nconst { sampleInput } = require('@isc-triggers/testing')",
      ),
    },
    after: [
      [process.execPath, 'otel.cjs'],
      [process.execPath, 'reach.cjs'],
      [process.execPath, 'durable.cjs'],
      [process.execPath, 'nest.cjs'],
      [process.execPath, 'node_modules/jest/bin/jest.js', '--ci', '--testMatch', '**/frameworks.test.cjs'],
      ['node_modules/.bin/isc-triggers', 'list', '--type', 'request-response'],
    ],
    ts: typeCheck(
      "import express = require('express')\nimport { createTriggerReceiver } from '@isc-triggers/core'\nimport { createTriggerMiddleware } from '@isc-triggers/express'\nimport { sampleInput } from '@isc-triggers/testing'\nimport { bullmqQueue, startTriggerWorker } from '@isc-triggers/bullmq'\nimport { instrumentTriggers } from '@isc-triggers/otel'\nimport { metrics, trace } from '@opentelemetry/api'",
    ),
  },
  {
    name: 'esm',
    type: 'module',
    file: 'index.mjs',
    code: body(
      "import express from 'express'\nimport { createTriggerReceiver } from '@isc-triggers/core'\nimport { createTriggerMiddleware } from '@isc-triggers/express'\nimport { sampleInput } from '@isc-triggers/testing'",
    ),
    tsconfig: { module: 'nodenext', moduleResolution: 'nodenext' },
    extra: {
      'otel.mjs': otel(
        "import { tracingChannel } from 'node:diagnostics_channel'\nimport { context } from '@opentelemetry/api'\nimport { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'\nimport { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'\nimport { createTriggerReceiver } from '@isc-triggers/core'\nimport { instrumentTriggers } from '@isc-triggers/otel'\nimport { sampleInput } from '@isc-triggers/testing'",
      ),
      'reach.mjs': reach(
        "import Fastify from 'fastify'\nimport { createTriggerReceiver } from '@isc-triggers/core'\nimport { triggersPlugin } from '@isc-triggers/fastify'\nimport { toEventBridgeHandler, toLambdaHandler } from '@isc-triggers/aws-lambda'\nimport { sampleInput } from '@isc-triggers/testing'",
      ),
      'durable.mjs': durable(
        "import { createTriggerReceiver } from '@isc-triggers/core'\nimport { bullmqQueue, startTriggerWorker } from '@isc-triggers/bullmq'\nimport { sampleInput } from '@isc-triggers/testing'",
      ),
    },
    after: [
      [process.execPath, 'otel.mjs'],
      [process.execPath, 'reach.mjs'],
      [process.execPath, 'durable.mjs'],
    ],
    ts: typeCheck(
      "import express from 'express'\nimport { createTriggerReceiver } from '@isc-triggers/core'\nimport { createTriggerMiddleware } from '@isc-triggers/express'\nimport { sampleInput } from '@isc-triggers/testing'\nimport { bullmqQueue, startTriggerWorker } from '@isc-triggers/bullmq'\nimport { instrumentTriggers } from '@isc-triggers/otel'\nimport { metrics, trace } from '@opentelemetry/api'",
    ),
  },
]

try {
  mkdirSync(tarballs)
  // pnpm pack rewrites workspace:/catalog: ranges and applies publishConfig, as publishing does.
  // The packs run side by side (each is mostly waiting on pnpm's start-up).
  const packages = ['core', 'express', 'koa', 'nestjs', 'testing', 'bullmq', 'otel', 'fastify', 'aws-lambda']
  await Promise.all(
    packages.map((pkg) =>
      runAsync('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', pkg)),
    ),
  )
  const [coreTgz, expressTgz, koaTgz, nestjsTgz, testingTgz, bullmqTgz, otelTgz, fastifyTgz, lambdaTgz] =
    packages.map((pkg) =>
      join(
        tarballs,
        readdirSync(tarballs).find((file) => file.startsWith(`isc-triggers-${pkg}-`)),
      ),
    )
  // One project holds both consumers (one npm install): every program file says its module system
  // by extension (.cjs, .mjs), and each type check has its own tsconfig (CommonJS with node10
  // resolution on a .ts file, ESM with nodenext on a .mts file).
  const dir = join(work, 'consumer')
  mkdirSync(dir)
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      type: 'commonjs',
      dependencies: {
        '@isc-triggers/core': `file:${coreTgz}`,
        '@isc-triggers/express': `file:${expressTgz}`,
        '@isc-triggers/testing': `file:${testingTgz}`,
        '@isc-triggers/koa': `file:${koaTgz}`,
        '@isc-triggers/nestjs': `file:${nestjsTgz}`,
        '@isc-triggers/bullmq': `file:${bullmqTgz}`,
        '@isc-triggers/otel': `file:${otelTgz}`,
        '@isc-triggers/fastify': `file:${fastifyTgz}`,
        '@isc-triggers/aws-lambda': `file:${lambdaTgz}`,
        '@opentelemetry/api': versions['@opentelemetry/api'],
        '@opentelemetry/sdk-trace-base': versions['@opentelemetry/sdk-trace-base'],
        '@opentelemetry/context-async-hooks': versions['@opentelemetry/context-async-hooks'],
        bullmq: versions.bullmq,
        ...frameworks,
        express: versions.express,
        zod: versions.zod,
      },
      devDependencies: {
        '@types/express': versions['@types/express'],
        '@types/node': versions['@types/node'],
        jest: versions.jest,
      },
      // The other packages depend on @isc-triggers/core by version: use the packed one.
      overrides: { '@isc-triggers/core': '$@isc-triggers/core' },
    }),
  )
  console.log('\n[consumer] npm install')
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir)
  for (const consumer of consumers) {
    writeFileSync(join(dir, consumer.file), consumer.code)
    for (const [file, code] of Object.entries(consumer.extra ?? {})) writeFileSync(join(dir, file), code)
    const check = consumer.type === 'module' ? 'check-esm.mts' : 'check-cjs.ts'
    writeFileSync(join(dir, check), consumer.ts)
    const tsconfig = `tsconfig.${consumer.name}.json`
    writeFileSync(
      join(dir, tsconfig),
      JSON.stringify({
        compilerOptions: {
          ...consumer.tsconfig,
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: [check],
      }),
    )
    console.log(`[${consumer.name}] tsc (${consumer.tsconfig.module}/${consumer.tsconfig.moduleResolution})`)
    run(process.execPath, [tsc, '-p', tsconfig], dir)
    console.log(`[${consumer.name}] node ${consumer.file}`)
    run(process.execPath, [consumer.file], dir)
    for (const step of consumer.after ?? []) {
      console.log(`[${consumer.name}] ${step.join(' ')}`)
      run(step[0], step.slice(1), dir)
    }
  }
  console.log('\nconsumers OK: CommonJS require() and ESM import of the packed packages')
} finally {
  rmSync(work, { recursive: true, force: true })
}
