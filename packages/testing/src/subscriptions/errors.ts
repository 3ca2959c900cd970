/**
 * Why a subscriptions command stopped: `config` (the file or its env vars are wrong: exit 2),
 * `tenant` (the tenant refused a request: exit 1) or `unreachable` (no answer: exit 3).
 *
 * @example
 * const exitCode = { config: 2, tenant: 1, unreachable: 3 } satisfies Record<SubscriptionsErrorKind, number>
 */
export type SubscriptionsErrorKind = 'config' | 'tenant' | 'unreachable'

/**
 * The error of `planSubscriptions`, `applySubscriptions` and the config reader. Its message names
 * triggers, subscriptions and env vars, never a secret.
 *
 * @example
 * try { readSubscriptionsConfig('isc-triggers.subscriptions.json') }
 * catch (error) { if (error instanceof SubscriptionsError && error.kind === 'config') process.exitCode = 2 }
 */
export class SubscriptionsError extends Error {
  override readonly name = 'SubscriptionsError'
  readonly kind: SubscriptionsErrorKind

  constructor(kind: SubscriptionsErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.kind = kind
  }
}
