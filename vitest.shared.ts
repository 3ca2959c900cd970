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
