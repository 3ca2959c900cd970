import { defineProject } from 'vitest/config'
import { shared, sharedTest } from '../../vitest.shared.js'

export default defineProject({
  ...shared,
  // The suites that need Redis run one file at a time: they share one Redis server and start
  // worker processes of their own.
  test: {
    ...sharedTest,
    name: 'bullmq',
    include: ['src/**/*.test.ts'],
    fileParallelism: false,
  },
})
