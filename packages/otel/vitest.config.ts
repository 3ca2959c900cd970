import { defineProject } from 'vitest/config'
import { sharedForOpenTelemetry } from '../../vitest.shared.js'

export default defineProject({
  ...sharedForOpenTelemetry,
  test: { name: 'otel', include: ['src/**/*.test.ts'] },
})
