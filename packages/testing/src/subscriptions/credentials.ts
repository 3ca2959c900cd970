import { scryptSync } from 'node:crypto'

/**
 * The start of the description of every subscription isc-triggers manages.
 *
 * @example
 * subscription.description?.startsWith(MANAGED_DESCRIPTION)
 */
export const MANAGED_DESCRIPTION = 'managed by isc-triggers'

/**
 * A short fingerprint of a subscription's credentials: scrypt of the secret, salted with the
 * subscription's name and the authentication type, 8 bytes as 16 hex characters. ISC answers
 * secrets as `null`, so this, kept in the description, is how a plan sees that a token changed.
 * The description is readable by anyone who can read the tenant's subscriptions: scrypt (a slow
 * key derivation, not a fast hash) keeps a guessable basic-auth password from being found by trying
 * candidates, and the salt gives the same token a different fingerprint on each subscription.
 *
 * @example
 * credentialsHash('isc-triggers:idn:identity-created', 'bearer', process.env.ISC_TOKEN!) // '3f1c…' (16 hex)
 */
export function credentialsHash(subscriptionName: string, authType: string, secret: string): string {
  return scryptSync(secret, `${subscriptionName}\u0000${authType}`, 8).toString('hex')
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
