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
    // Two test files at a time even on 2 cores (vitest's default there is one): most files wait on
    // sockets, Redis and child processes, not the CPU. About 200 s instead of 255 s for the whole
    // suite on CI's machine; every test waits on events, never on a clock, so it holds when busy.
    maxWorkers: 2,
    // On CI, also write a JSON report: .ci/run prints its "N passed, N failed" line from it.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-results.json' },
  },
})
