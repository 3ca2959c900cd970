import { readFileSync } from 'node:fs'
import { defineProject } from 'vitest/config'
import { shared, sharedTest } from '../../vitest.shared.js'

// Core's validation tests again, on the lowest zod of the peer range: every `zod` import (and
// subpath: 'zod/v4/core') resolves to the `zod-lowest` devDependency (an npm alias of that
// version). src/schemas/zod-version.test.ts fails if the alias does not take effect, and
// zod-lowest must be the peer range's lower bound: raising one means raising the other.
const json = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'))
const peerRange: string = json('./package.json').peerDependencies.zod
const lowest = peerRange.match(/^\^(\d+\.\d+\.\d+)$/)?.[1]
if (lowest === undefined) throw new Error(`zod's peer range is not ^x.y.z: ${peerRange}`)
const installed: string = json('./node_modules/zod-lowest/package.json').version
if (installed !== lowest)
  throw new Error(`devDependency zod-lowest is ${installed}; the peer range ${peerRange} starts at ${lowest}`)

export default defineProject({
  ...shared,
  resolve: { alias: [{ find: /^zod(?=\/|$)/, replacement: 'zod-lowest' }] },
  test: {
    ...sharedTest,
    name: 'core-zod-lowest',
    include: [
      'src/schemas/**/*.test.ts',
      'src/receiver/rejection.test.ts',
      'src/receiver/rejection-hook.test.ts',
    ],
    // The docs are generated with the newest zod; this project checks validation.
    exclude: ['src/schemas/catalog/docs.test.ts'],
    provide: { zodVersion: lowest },
    // Fewer generated payloads than the `core` project, which runs the full property test.
    env: { CONFORMANCE_RUNS: process.env.CONFORMANCE_RUNS ?? '60' },
  },
})
