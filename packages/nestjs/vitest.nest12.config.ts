import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'
import { shared, sharedTest } from '../../vitest.shared.js'

// The module's tests again on Nest 12: every `@nestjs/*` import of the sources and tests (and its
// subpaths) resolves to compat/nest12, a private workspace package that installs Nest 12. Nest's
// own packages then import each other from there. src/nest-version.test.ts fails if the alias does
// not take effect. Only the files that exercise Nest itself run twice: the contract suites on
// both platforms, the Fastify specifics (hostile set-ups too), the module and decorator tests,
// scoped handlers.
const nest = fileURLToPath(new URL('../../compat/nest12/node_modules/@nestjs/', import.meta.url))
const version: string = JSON.parse(readFileSync(`${nest}core/package.json`, 'utf8')).version
if (!version.startsWith('12.')) throw new Error(`compat/nest12 installs @nestjs/core ${version}, not 12.x`)

export default defineProject({
  ...shared,
  resolve: { alias: [{ find: /^@nestjs\/([^/]+)/, replacement: `${nest}$1` }] },
  test: {
    ...sharedTest,
    name: 'nestjs-nest12',
    include: [
      'src/nest-version.test.ts',
      'src/contract.test.ts',
      'src/triggers.fastify.test.ts',
      'src/triggers.fastify-hostile.test.ts',
      'src/triggers.module.test.ts',
      'src/triggers.scoped.test.ts',
      'src/triggers.body-first.test.ts',
    ],
    provide: { nest: { major: '12', dir: nest } },
  },
})
