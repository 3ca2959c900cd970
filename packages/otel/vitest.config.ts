import { defaultServerConditions } from 'vite'
import { defineProject } from 'vitest/config'
import { shared } from '../../vitest.shared.js'

// Without Vite's `module` condition: OpenTelemetry's packages map it to a build for bundlers
// (`build/esm`, extension-less imports) that Node cannot load when vitest externalises them.
const conditions = ['@isc-triggers/source', ...defaultServerConditions.filter((c) => c !== 'module')]

export default defineProject({
  ...shared,
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: { name: 'otel', include: ['src/**/*.test.ts'] },
})
