import { z } from 'zod'
import { defineTrigger } from '../registry.js'
import { identityRef, jsonObject } from './refs.js'

/**
 * The form answers attached to a requested item, when it has a form. Its structural keys
 * (`formElements`, `formConditions`, `formInstanceInputs`) follow the form instance payload, so
 * they are kept as they come.
 */
const itemForm = z
  .looseObject({
    formDefinitionId: z.string().nullish(),
    formInstanceId: z.string().nullish(),
    formData: jsonObject.nullish(),
  })
  .nullish()

const requestedItem = {
  id: z.string(),
  name: z.string(),
  description: z.string().nullish(),
  type: z.enum(['ACCESS_PROFILE', 'ROLE', 'ENTITLEMENT']),
  operation: z.enum(['Add', 'Remove']),
  comment: z.string().nullish(),
  form: itemForm,
}

/**
 * Quirk: SailPoint's OpenAPI spec types `requestedFor` as an array of 1-10 identities, while the
 * docs examples, the ETS schema and real captures show a single object. Both are accepted.
 */
const requestedFor = z.union([identityRef, z.array(identityRef).min(1)])

/** The input shared by the access-request triggers that wait for a decision. */
const accessRequestInput = z.looseObject({
  accessRequestId: z.string(),
  requestedFor,
  requestedItems: z.array(z.looseObject(requestedItem)).min(1),
  requestedBy: identityRef,
})

/**
 * `idn:access-request-pre-approval` (Access Request Submitted): ISC waits for the subscriber to
 * approve or deny. `approver` must be the username of an existing identity when any Access
 * Request Decision subscription exists, or those decision events never fire. If the subscriber is
 * down or answers badly, the access request fails.
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

/**
 * `idn:access-request-dynamic-approver` (Access Request Dynamic Approval): the subscriber names
 * one more approver, an identity or a governance group. It runs after pre-approval approved.
 *
 * Quirk: to add no approver, the docs say "an empty object" and show
 * `{ "id": "", "name": "", "type": "" }`, which the published enum forbids; the ETS output schema
 * also allows `null`. All three are accepted.
 */
export const accessRequestDynamicApprover = defineTrigger({
  id: 'idn:access-request-dynamic-approver',
  name: 'Access Request Dynamic Approval',
  type: 'request-response',
  input: accessRequestInput,
  output: z.union([
    z.object({ id: z.string().min(1), name: z.string(), type: z.enum(['IDENTITY', 'GOVERNANCE_GROUP']) }),
    z.object({ id: z.literal(''), name: z.literal(''), type: z.literal('') }),
    z.strictObject({}),
    z.null(),
  ]),
})

/**
 * `idn:access-request-post-approval` (Access Request Decision): the decision on each requested
 * item, after approval. `approvalInfo[].approver` may be an identity without a name.
 */
export const accessRequestPostApproval = defineTrigger({
  id: 'idn:access-request-post-approval',
  name: 'Access Request Decision',
  type: 'fire-and-forget',
  input: z.looseObject({
    accessRequestId: z.string(),
    requestedFor,
    requestedItemsStatus: z.array(
      z.looseObject({
        ...requestedItem,
        clientMetadata: jsonObject.nullish(),
        approvalInfo: z.array(
          z.looseObject({
            approvalComment: z.string().nullish(),
            approvalDecision: z.enum(['APPROVED', 'DENIED']),
            approverName: z.string(),
            approver: z.looseObject({
              type: z.literal('IDENTITY'),
              id: z.string().optional(),
              name: z.string().optional(),
            }),
          }),
        ),
      }),
    ),
    requestedBy: identityRef,
  }),
})
