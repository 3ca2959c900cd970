import { defineConfig } from 'vitest/config'
import { shared } from './vitest.shared.js'

export default defineConfig({
  ...shared,
  test: {
    projects: ['packages/*/vitest.config.ts', 'examples/*/vitest.config.ts'],
  },
})
