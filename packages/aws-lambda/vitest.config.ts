import { defineProject } from 'vitest/config'
import { shared } from '../../vitest.shared.js'

export default defineProject({
  ...shared,
  test: {
    name: 'aws-lambda',
    include: ['src/**/*.test.ts'],
    // The tests wait on events and held gates, never on a clock: a timeout only turns a real hang
    // into a failure, so it is generous (CI shares two cores with every other suite).
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
