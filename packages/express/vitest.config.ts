import { defineProject } from 'vitest/config'
import { shared, sharedTest } from '../../vitest.shared.js'

export default defineProject({
  ...shared,
  // --expose-gc: the load test measures the heap after a real collection.
  test: {
    ...sharedTest,
    name: 'express',
    include: ['src/**/*.test.ts'],
    execArgv: ['--expose-gc'],
  },
})
