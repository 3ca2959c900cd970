import { z } from 'zod'
import { defineTrigger } from '../define-trigger.js'
import { attributeMap, attributeValue, openObject, timestamp } from './refs.js'

const typedRef = openObject({ type: z.string(), id: z.string(), name: z.string() })
const owner = openObject({
  type: z.string(),
  id: z.string(),
  name: z.string(),
  isPrimary: z.boolean().optional(),
})
const userEntitlement = openObject({
  entitlementId: z.string(),
  displayName: z.string(),
  source: typedRef,
})

const machineIdentity = openObject({
  id: z.string(),
  name: z.string().optional(),
  created: timestamp,
  modified: timestamp,
  businessApplication: z.string().optional(),
  description: z.string().optional(),
  attributes: attributeMap.optional(),
  subtype: z.enum(['AI Agent', 'Application']),
  owners: z.array(owner).optional(),
  sourceId: z.string().optional(),
  uuid: z.string().optional(),
  nativeIdentity: z.string().optional(),
  manuallyEdited: z.boolean(),
  manuallyCreated: z.boolean().optional(),
  datasetId: z.string().optional(),
  source: typedRef.optional(),
  userEntitlements: z.array(userEntitlement).optional(),
  existsOnSource: z.string().optional(),
})

/** `idn:machine-identity-created`: a machine identity (an application or an AI agent) was created. Id seen only in community code. */
export const machineIdentityCreated = defineTrigger({
  id: 'idn:machine-identity-created',
  name: 'Machine Identity Created',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({ eventType: z.literal('MACHINE_IDENTITY_CREATED'), machineIdentity }),
})

/** `idn:machine-identity-deleted`: a machine identity was deleted. Id guessed from the docs page. */
export const machineIdentityDeleted = defineTrigger({
  id: 'idn:machine-identity-deleted',
  name: 'Machine Identity Deleted',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({ eventType: z.literal('MACHINE_IDENTITY_DELETED'), machineIdentity }),
})

const changes = <T extends z.ZodType>(item: T) =>
  openObject({
    attributeName: z.string().optional(),
    added: z.array(item).optional(),
    removed: z.array(item).optional(),
  })

/** `idn:machine-identity-updated`: a machine identity's attributes, entitlements or owners changed. Id seen only in community code. */
export const machineIdentityUpdated = defineTrigger({
  id: 'idn:machine-identity-updated',
  name: 'Machine Identity Updated',
  type: 'fire-and-forget',
  confirmed: false,
  input: openObject({
    eventType: z.literal('MACHINE_IDENTITY_UPDATED'),
    machineIdentity,
    machineIdentityChangeTypes: z.array(
      z.enum([
        'ATTRIBUTES_CHANGED',
        'USER_ENTITLEMENTS_ADDED',
        'USER_ENTITLEMENTS_REMOVED',
        'OWNERS_ADDED',
        'OWNERS_REMOVED',
      ]),
    ),
    userEntitlementChanges: changes(userEntitlement),
    ownerChanges: changes(owner),
    singleValueAttributeChanges: z
      .array(openObject({ name: z.string(), oldValue: attributeValue, newValue: attributeValue }))
      .nullable(),
  }),
})
