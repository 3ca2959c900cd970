import { defineProject } from 'vitest/config'
import { shared, sharedTest } from '../../vitest.shared.js'

export default defineProject({
  ...shared,
  test: {
    ...sharedTest,
    name: 'example-koa',
    include: ['src/**/*.test.ts'],
  },
})
