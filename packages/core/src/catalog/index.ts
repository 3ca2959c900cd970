import { accessRequestPreApproval } from './access-request.js'
import { identityCreated } from './identity.js'

/**
 * Every trigger isc-triggers knows, by id. Each entry has the id, display name, type, zod
 * input schema (and output schema for request-response triggers), and flags for deprecated and
 * unconfirmed ids.
 *
 * @example
 * catalog['idn:identity-created'].input.parse(body)
 * Object.values(catalog).filter((t) => t.type === 'request-response')
 */
export const catalog = Object.freeze({
  [identityCreated.id]: identityCreated,
  [accessRequestPreApproval.id]: accessRequestPreApproval,
})

/** The built-in catalog's type. */
export type Catalog = typeof catalog
