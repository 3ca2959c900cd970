#!/usr/bin/env node
// Proves the built packages work for real users: packs @isc-triggers/core,
// @isc-triggers/express and @isc-triggers/testing as npm would publish them, installs the tarballs with npm into a
// CommonJS and an ESM project outside the workspace, type-checks each consumer (CommonJS with
// legacy node10 resolution, ESM with nodenext), and runs an Express app from each that
// receives a delivery over HTTP. Needs `pnpm build` first. Exits non-zero on any failure.
import { execFileSync } from 'node:child_process'
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

const versions = {
  express: '5.3.0',
  zod: '4.6.7',
  '@types/express': '5.0.6',
  '@types/node': '^20.19.0',
}

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

const typeCheck = (importLine) => `${importLine}
const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: ['t'] } })
receiver.on('idn:identity-created', (input) => { const name: string = input.identity.name; void name })
const sample: string = sampleInput('idn:identity-created').identity.name
void sample
receiver.on('idn:access-request-pre-approval', () => ({ approved: true, comment: 'ok', approver: 'svc' }))
const app = express()
app.use('/isc/triggers', createTriggerMiddleware(receiver))
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
    ts: typeCheck(
      "import express = require('express')\nimport { createTriggerReceiver } from '@isc-triggers/core'\nimport { createTriggerMiddleware } from '@isc-triggers/express'\nimport { sampleInput } from '@isc-triggers/testing'",
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
    ts: typeCheck(
      "import express from 'express'\nimport { createTriggerReceiver } from '@isc-triggers/core'\nimport { createTriggerMiddleware } from '@isc-triggers/express'\nimport { sampleInput } from '@isc-triggers/testing'",
    ),
  },
]

try {
  mkdirSync(tarballs)
  // pnpm pack rewrites workspace:/catalog: ranges and applies publishConfig, as publishing does.
  const packages = ['core', 'express', 'testing']
  for (const pkg of packages)
    run('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', pkg))
  const [coreTgz, expressTgz, testingTgz] = packages.map((pkg) =>
    join(
      tarballs,
      readdirSync(tarballs).find((file) => file.startsWith(`isc-triggers-${pkg}-`)),
    ),
  )
  for (const consumer of consumers) {
    const dir = join(work, consumer.name)
    mkdirSync(dir)
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: `consumer-${consumer.name}`,
        private: true,
        type: consumer.type,
        dependencies: {
          '@isc-triggers/core': `file:${coreTgz}`,
          '@isc-triggers/express': `file:${expressTgz}`,
          '@isc-triggers/testing': `file:${testingTgz}`,
          express: versions.express,
          zod: versions.zod,
        },
        devDependencies: {
          '@types/express': versions['@types/express'],
          '@types/node': versions['@types/node'],
        },
        // The other packages depend on @isc-triggers/core by version: use the packed one.
        overrides: { '@isc-triggers/core': '$@isc-triggers/core' },
      }),
    )
    writeFileSync(join(dir, consumer.file), consumer.code)
    writeFileSync(join(dir, 'check.ts'), consumer.ts)
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          ...consumer.tsconfig,
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['check.ts'],
      }),
    )
    console.log(`\n[${consumer.name}] npm install`)
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir)
    console.log(`[${consumer.name}] tsc (${consumer.tsconfig.module}/${consumer.tsconfig.moduleResolution})`)
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir)
    console.log(`[${consumer.name}] node ${consumer.file}`)
    run(process.execPath, [consumer.file], dir)
  }
  console.log('\nconsumers OK: CommonJS require() and ESM import of the packed packages')
} finally {
  rmSync(work, { recursive: true, force: true })
}
