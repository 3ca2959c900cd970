import { defineConfig } from 'vitest/config'
import { shared } from './vitest.shared.js'

export default defineConfig({
  ...shared,
  test: {
    // Starts a private redis-server for the Redis suites when REDIS_URL is not set (see the file).
    globalSetup: ['./scripts/vitest-redis.ts'],
    projects: [
      'packages/*/vitest.config.ts',
      'packages/*/vitest.*.config.ts',
      'examples/*/vitest.config.ts',
      // A CommonJS package's config (examples/nestjs): .mts, so Node loads it as the ESM it is.
      'examples/*/vitest.config.mts',
    ],
    // On CI, also write a JSON report: .ci/run prints its "N passed, N failed" line from it.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-results.json' },
  },
})
