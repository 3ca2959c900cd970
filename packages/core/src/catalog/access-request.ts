import { z } from 'zod'
import { defineTrigger } from '../registry.js'
import { identityRef } from './refs.js'

/**
 * The form answers attached to a requested item, when it has a form. Its structural keys
 * follow the form instance payload, so they are kept as they come.
 */
const itemForm = z
  .looseObject({
    formDefinitionId: z.string().nullish(),
    formInstanceId: z.string().nullish(),
    formData: z.record(z.string(), z.unknown()).nullish(),
  })
  .nullish()

const requestedItem = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string().nullish(),
  type: z.enum(['ACCESS_PROFILE', 'ROLE', 'ENTITLEMENT']),
  operation: z.enum(['Add', 'Remove']),
  comment: z.string().nullish(),
  form: itemForm,
})

/**
 * Quirk: SailPoint's OpenAPI spec types `requestedFor` as an array of 1-10 identities, while the
 * docs example, the ETS schema and real captures show a single object. Both are accepted.
 */
const requestedFor = z.union([identityRef, z.array(identityRef).min(1)])

/** The input shared by the access-request triggers (submitted, dynamic approval). */
export const accessRequestInput = z.looseObject({
  accessRequestId: z.string(),
  requestedFor,
  requestedItems: z.array(requestedItem).min(1),
  requestedBy: identityRef,
})

/**
 * `idn:access-request-pre-approval` (Access Request Submitted): ISC waits for the subscriber to
 * approve or deny. `approver` must be the username of an existing identity when any Access
 * Request Decision subscription exists, or those decision events never fire.
 */
export const accessRequestPreApproval = defineTrigger({
  id: 'idn:access-request-pre-approval',
  name: 'Access Request Submitted',
  type: 'request-response',
  input: accessRequestInput,
  // Exactly what ISC reads: unknown keys a handler adds are not sent.
  output: z.object({
    approved: z.boolean(),
    comment: z.string(),
    approver: z.string(),
  }),
})
