import { defineConfig } from 'tsdown'
import { packageBuild } from '../../tsdown.shared.js'

// The library, and the `isc-triggers` command (dist/cli.mjs, started by bin/isc-triggers.mjs; not an import path).
export default defineConfig({
  ...packageBuild,
  entry: ['src/index.ts', 'src/cli.ts'],
  exports: { devExports: '@isc-triggers/source', exclude: ['cli'] },
})
