import { defineConfig } from 'tsdown'
import { packageBuild } from '../../tsdown.shared.js'

// Two entries: the package root, and `@isc-triggers/core/node` (the plumbing adapters build on).
export default defineConfig({
  ...packageBuild,
  entry: { index: 'src/index.ts', node: 'src/node/index.ts' },
})
