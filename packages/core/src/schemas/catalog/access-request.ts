import { z } from 'zod'
import { defineTrigger } from '../define-trigger.js'
import { jsonObject, openEnum, openObject } from './refs.js'

/**
 * The form answers attached to a requested item, when it has a form. Its structural keys
 * (`formElements`, `formConditions`, `formInstanceInputs`) follow the form instance payload, so
 * they are kept as they come.
 */
const itemForm = openObject({
  formDefinitionId: z.string().nullish(),
  formInstanceId: z.string().nullish(),
  formData: jsonObject.nullish(),
}).nullish()

/**
 * A requested access item. Quirk: the OpenAPI schema enumerates `type` and `operation`, while the
 * ETS schema ISC validates against allows any string; any string is accepted, the known values
 * are typed.
 */
const requestedItem = {
  id: z.string(),
  name: z.string(),
  description: z.string().nullish(),
  type: openEnum(['ACCESS_PROFILE', 'ROLE', 'ENTITLEMENT']),
  operation: openEnum(['Add', 'Remove']),
  comment: z.string().nullish(),
  form: itemForm,
}

/**
 * An identity as the access-request triggers name it. The ETS schema allows any `type` string, and
 * SailPoint's SDK types `type` optional.
 */
const requester = openObject({ type: openEnum(['IDENTITY']).optional(), id: z.string(), name: z.string() })

/**
 * An identity whose fields may be missing: the dynamic approver's schema lists no `required` for
 * its `requestedFor` items or `requestedBy`, and SailPoint's SDK types every `requestedFor` item's
 * fields as optional.
 */
const partialRequester = openObject({
  type: openEnum(['IDENTITY']).optional(),
  id: z.string().optional(),
  name: z.string().optional(),
})

/**
 * Quirk: SailPoint's OpenAPI spec types `requestedFor` as an array of 1-10 identities, while the
 * docs examples, the ETS schema and real captures show a single object. Both are accepted. The
 * spec's `required` list sits on the array, where JSON Schema ignores it; the docs and the ETS
 * schema show it means each identity's fields, while SailPoint's SDK types them optional. The
 * items' fields are optional here, so a payload under either reading is accepted.
 */
const requestedForOf = (identity: typeof requester | typeof partialRequester) =>
  z.union([identity, z.array(partialRequester).min(1)])

/**
 * The input shared by the access-request triggers that wait for a decision. `requestedItems` may
 * be empty under the ETS schema (the OpenAPI spec says at least one).
 */
const accessRequestInputOf = (identity: typeof requester | typeof partialRequester) =>
  openObject({
    accessRequestId: z.string(),
    requestedFor: requestedForOf(identity),
    requestedItems: z.array(openObject(requestedItem)),
    requestedBy: identity,
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
  input: accessRequestInputOf(requester),
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
 * `{ "id": "", "name": "", "type": "" }`; SailPoint's output schema refuses both (`{}` lacks the
 * required fields, `""` is not in the `type` enum) while allowing `null`. All three are accepted
 * and sent as given: these two are the only decisions isc-triggers sends that SailPoint's output
 * schema does not allow (conformance.test.ts checks they still contradict it). Any value the output
 * schema allows is accepted, an empty `id` included; unknown keys a handler adds are not sent.
 */
export const accessRequestDynamicApprover = defineTrigger({
  id: 'idn:access-request-dynamic-approver',
  name: 'Access Request Dynamic Approval',
  type: 'request-response',
  input: accessRequestInputOf(partialRequester),
  output: z.union([
    z.object({ id: z.string(), name: z.string(), type: z.enum(['IDENTITY', 'GOVERNANCE_GROUP']) }),
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
  input: openObject({
    accessRequestId: z.string(),
    requestedFor: requestedForOf(requester),
    requestedItemsStatus: z.array(
      openObject({
        ...requestedItem,
        clientMetadata: jsonObject.nullish(),
        approvalInfo: z.array(
          openObject({
            approvalComment: z.string().nullish(),
            approvalDecision: z.enum(['APPROVED', 'DENIED']),
            approverName: z.string(),
            approver: openObject({
              type: z.literal('IDENTITY'),
              id: z.string().optional(),
              name: z.string().optional(),
            }),
          }),
        ),
      }),
    ),
    // SailPoint's SDK types this requester's fields optional.
    requestedBy: partialRequester,
  }),
})
