import type { UserConfig } from 'tsdown'

/** The build every published package shares: dual ESM + CJS with types, for Node 20. */
export const packageBuild: UserConfig = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  exports: { devExports: '@isc-triggers/source' },
}
