import { createHash } from 'node:crypto'

/**
 * The start of the description of every subscription isc-triggers manages.
 *
 * @example
 * subscription.description?.startsWith(MANAGED_DESCRIPTION)
 */
export const MANAGED_DESCRIPTION = 'managed by isc-triggers'

/**
 * A short fingerprint of a subscription's credentials: sha256 of the subscription's name, the
 * authentication type and the secret, hex, first 16 characters. ISC answers secrets as `null`, so
 * this, kept in the description, is how a plan sees that a token changed. Salted with the name,
 * the same token gives a different fingerprint on each subscription.
 *
 * @example
 * credentialsHash('isc-triggers:idn:identity-created', 'bearer', process.env.ISC_TOKEN!) // '3f1c…' (16 hex)
 */
export function credentialsHash(subscriptionName: string, authType: string, secret: string): string {
  return createHash('sha256')
    .update(`${subscriptionName}\u0000${authType}\u0000${secret}`)
    .digest('hex')
    .slice(0, 16)
}

/**
 * The description isc-triggers gives a managed subscription: `managed by isc-triggers`, and
 * `; credentials <hash>` when it has credentials.
 *
 * @example
 * managedDescription('3f1c0a9e5b7d2c41') // 'managed by isc-triggers; credentials 3f1c0a9e5b7d2c41'
 */
export function managedDescription(hash: string | undefined): string {
  return hash ? `${MANAGED_DESCRIPTION}; credentials ${hash}` : MANAGED_DESCRIPTION
}
