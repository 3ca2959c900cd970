import { defaultServerConditions } from 'vite'

/**
 * Settings every vitest project shares. Tests read sibling packages' TypeScript sources through
 * the "@isc-triggers/source" export condition, so no build is needed first. The `ssr` key is the
 * one that applies to Node tests; spreading Vite's defaults keeps the `node` condition.
 */
export const shared = {
  ssr: { resolve: { conditions: ['@isc-triggers/source', ...defaultServerConditions] } },
}
