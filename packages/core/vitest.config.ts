import { defineProject } from 'vitest/config'
import { shared } from '../../vitest.shared.js'

export default defineProject({
  ...shared,
  test: {
    name: 'core',
    include: ['src/**/*.test.ts'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'] },
  },
})
