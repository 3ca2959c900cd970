import { expect, inject, it } from 'vitest'
import { z } from 'zod'
import { version as coreVersion } from 'zod/v4/core'

// Each vitest project runs core against one zod: `core` the newest installed, `core-zod-lowest`
// the lowest of the peer range (zod aliased to the `zod-lowest` devDependency; see
// vitest.zod-lowest.config.ts). This proves which one a project really loaded, through `zod` and
// through a subpath, so the lowest project cannot silently run the newest zod.
declare module 'vitest' {
  export interface ProvidedContext {
    /** The zod version this project must run. */
    zodVersion: string
  }
}

const format = ({ major, minor, patch }: { major: number; minor: number; patch: number }) =>
  `${major}.${minor}.${patch}`

it(`runs zod ${inject('zodVersion')}`, () => {
  expect(format(z.core.version)).toBe(inject('zodVersion'))
  expect(format(coreVersion)).toBe(inject('zodVersion'))
  expect(typeof z.compile).toBe('function')
})
