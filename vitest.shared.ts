import { defaultServerConditions } from 'vite'

/**
 * Settings every vitest project shares. Tests read sibling packages' TypeScript sources through
 * the "@isc-triggers/source" export condition, so no build is needed first. The `ssr` key is the
 * one that applies to Node tests; spreading Vite's defaults keeps the `node` condition.
 */
export const shared = {
  ssr: { resolve: { conditions: ['@isc-triggers/source', ...defaultServerConditions] } },
}

// Without Vite's `module` condition: OpenTelemetry's packages map it to a build for bundlers
// (`build/esm`, extension-less imports) that Node cannot load when vitest externalises them.
const withoutModule = ['@isc-triggers/source', ...defaultServerConditions.filter((c) => c !== 'module')]

/** {@link shared} for projects that load OpenTelemetry's packages. */
export const sharedForOpenTelemetry = {
  ssr: { resolve: { conditions: withoutModule, externalConditions: withoutModule } },
}

/**
 * Test settings every project spreads into its `test`: a test or hook fails after 30 s, not
 * vitest's default 5 s. Only a real hang should fail a test; CI's 2-core machine may be busy with
 * other work, and no test may depend on how fast it is.
 */
export const sharedTest = { testTimeout: 30_000, hookTimeout: 30_000 }
