import { defineProject } from 'vitest/config'
import { sharedForOpenTelemetry, sharedTest } from '../../vitest.shared.js'

export default defineProject({
  ...sharedForOpenTelemetry,
  test: {
    ...sharedTest,
    name: 'example-express',
    include: ['src/**/*.test.ts'],
  },
})
