import { readFileSync } from 'node:fs'
import { defineProject } from 'vitest/config'
import { shared, sharedTest } from '../../vitest.shared.js'

const installedZod: string = JSON.parse(
  readFileSync(new URL('./node_modules/zod/package.json', import.meta.url), 'utf8'),
).version

export default defineProject({
  ...shared,
  test: {
    ...sharedTest,
    name: 'core',
    include: ['src/**/*.test.ts'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'] },
    // src/schemas/zod-version.test.ts checks this is the zod the tests load.
    provide: { zodVersion: installedZod },
  },
})
