#!/usr/bin/env node
// Adapters stay thin (STYLE.md §2): code lines of each adapter's sources, without comments, blank
// lines and tests, within its budget. Logic that grows past it belongs in @isc-triggers/core.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

// nestjs: 250 for the Express platform (its body-first placement is 53 of them), +35 since it also
// runs on Fastify (a route hook before Fastify's parser, ~40 lines) and resolves request-scoped and
// transient @OnTrigger providers per delivery (~10 lines); neither decides a status or parses JSON.
const budgets = { express: 60, koa: 80, nestjs: 285, fastify: 80, 'aws-lambda': 80 }
let failed = false
for (const [name, budget] of Object.entries(budgets)) {
  const dir = join(import.meta.dirname, '..', 'packages', name, 'src')
  const files = readdirSync(dir).filter(
    (file) => file.endsWith('.ts') && !/\.test(-d)?\.ts$|\.d\.ts$/.test(file),
  )
  const lines = files.flatMap((file) =>
    readFileSync(join(dir, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.trim().startsWith('//')),
  )
  const ok = lines.length <= budget
  failed ||= !ok
  console.log(`${ok ? 'ok  ' : 'OVER'} @isc-triggers/${name}: ${lines.length} code lines (budget ${budget})`)
}
process.exitCode = failed ? 1 : 0
