import { z } from 'zod'
import { defineTrigger } from '../define-trigger.js'
import { jsonObject, openObject, timestamp } from './refs.js'

/**
 * One kind of result of a saved search. Quirk: the schema types `count` as a string, the docs
 * example sends a number; both are accepted.
 */
const searchResult = openObject({
  count: z.union([z.string(), z.number()]),
  noun: z.string(),
  preview: z.array(z.array(z.string())),
}).nullish()

/**
 * `idn:saved-search-complete` (Scheduled Search): a scheduled search ran. The report itself is not
 * in the payload: `signedS3Url` is a short-lived link to it, so treat it as a secret.
 */
export const savedSearchComplete = defineTrigger({
  id: 'idn:saved-search-complete',
  name: 'Scheduled Search',
  type: 'fire-and-forget',
  input: openObject({
    fileName: z.string(),
    ownerEmail: z.string(),
    ownerName: z.string(),
    query: z.string(),
    searchName: z.string(),
    searchResults: openObject({
      Account: searchResult,
      Entitlement: searchResult,
      Identity: searchResult,
    }),
    signedS3Url: z.string(),
  }),
})

/**
 * `idn:form-submitted`: a form was submitted. Id guessed from the docs page (community Workflows
 * code uses `sp:form-submitted`). Quirk: the schema's `submittedAt` type is invalid OpenAPI
 * (`date-time`); it is an ISO-8601 string here.
 */
export const formSubmitted = defineTrigger({
  id: 'idn:form-submitted',
  name: 'Form Submitted',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({
    submittedAt: timestamp,
    tenantId: z.string(),
    formInstanceId: z.string(),
    formDefinitionId: z.string(),
    name: z.string(),
    createdBy: openObject({ type: z.enum(['WORKFLOW_EXECUTION', 'SOURCE']), id: z.string() }),
    submittedBy: openObject({ type: z.literal('IDENTITY'), id: z.string(), name: z.string() }),
    formData: jsonObject.nullable(),
  }),
})
