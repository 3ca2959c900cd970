import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'
import { shared, sharedTest } from '../../vitest.shared.js'

// The tests on the Nest installed as this package's devDependencies (Nest 11, the peer range's
// lower major). vitest.nest12.config.ts runs the ones that matter again on Nest 12.
const nest = fileURLToPath(new URL('./node_modules/@nestjs/', import.meta.url))
const major: string = JSON.parse(readFileSync(`${nest}core/package.json`, 'utf8')).version.split('.')[0]

export default defineProject({
  ...shared,
  test: {
    ...sharedTest,
    name: 'nestjs',
    include: ['src/**/*.test.ts'],
    provide: { nest: { major, dir: nest } },
  },
})
