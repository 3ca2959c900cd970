import { afterEach, beforeEach, vi } from 'vitest'

/**
 * Readies each test for SailPoint's SDK (`sailpoint-api-client`) against a fake ISC on loopback:
 * no proxy variable may apply (axios, inside the SDK, honours them), and the SDK's console warnings
 * ("You are using Experimental APIs") are silenced. Call it at the top of a test file.
 *
 * @example
 * quietSdkEnvironment()
 */
export function quietSdkEnvironment(): void {
  beforeEach(() => {
    for (const name of ['http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY']) vi.stubEnv(name, '')
    vi.stubEnv('no_proxy', '*')
    vi.stubEnv('NO_PROXY', '*')
    vi.spyOn(console, 'log').mockImplementation(() => {})
    vi.spyOn(console, 'error').mockImplementation(() => {})
  })
  afterEach(() => {
    vi.unstubAllEnvs()
    vi.restoreAllMocks()
  })
}
