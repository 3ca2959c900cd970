// A trigger filter checked by the tenant itself (ISC's validate-filter, Jayway's own evaluation).
import { type FilterValidation, type TenantOptions, tenantClient } from './tenant-client.js'

/**
 * Asks a tenant's `POST /trigger-subscriptions/v1/validate-filter` whether `filter` is a valid
 * JSONPath and selects something in `input` (the trigger input an event would carry). Unlike
 * `matchesFilter`, a local approximation, this is ISC's own answer. An unreachable tenant throws an
 * `unreachable` `SubscriptionsError`; a refusal (wrong client credentials, a 400) a `tenant` one.
 *
 * @example
 * const answer = await validateFilterOnTenant("$[?($.identity.attributes.department == 'Engineering')]", sampleInput('idn:identity-created'), {
 *   tenant: 'https://acme.api.identitynow.com', clientId: process.env.ISC_CLIENT_ID!, clientSecret: process.env.ISC_CLIENT_SECRET!,
 * })
 * // { isValid: true, isValidJSONPath: true, isPathExist: true }
 */
export function validateFilterOnTenant(
  filter: string,
  input: unknown,
  options: TenantOptions,
): Promise<FilterValidation> {
  return tenantClient(options).validateFilter(filter, input)
}
