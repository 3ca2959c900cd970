import { z } from 'zod'
import { defineTrigger } from '../define-trigger.js'
import { identityRef, jsonObject, openObject, timestamp } from './refs.js'

const sourceEvent = <const K extends 'created' | 'deleted' | 'modified'>(when: K) =>
  openObject({
    id: z.string(),
    name: z.string(),
    /** The connection type, e.g. `DIRECT_CONNECT`. */
    type: z.string(),
    /** The connector, e.g. `active-directory`. */
    connector: z.string(),
    actor: openObject({ type: z.literal('IDENTITY'), id: z.string().optional(), name: z.string() }),
    ...({ [when]: timestamp } as Record<K, typeof timestamp>),
  })

/** `idn:source-created`: a source was created. */
export const sourceCreated = defineTrigger({
  id: 'idn:source-created',
  name: 'Source Created',
  type: 'fire-and-forget',
  input: sourceEvent('created'),
})

/** `idn:source-deleted`: a source was deleted. */
export const sourceDeleted = defineTrigger({
  id: 'idn:source-deleted',
  name: 'Source Deleted',
  type: 'fire-and-forget',
  input: sourceEvent('deleted'),
})

/** `idn:source-updated`: a source's configuration changed. */
export const sourceUpdated = defineTrigger({
  id: 'idn:source-updated',
  name: 'Source Updated',
  type: 'fire-and-forget',
  input: sourceEvent('modified'),
})

const healthCheck = openObject({
  message: z.string(),
  resultType: z.string(),
  status: z.enum(['Succeeded', 'Failed']),
})

/** `idn:va-cluster-status-change`: the health of a virtual appliance cluster (or a source on it) changed. */
export const vaClusterStatusChange = defineTrigger({
  id: 'idn:va-cluster-status-change',
  name: 'VA Cluster Status Change',
  type: 'fire-and-forget',
  input: openObject({
    created: timestamp,
    type: z.enum(['SOURCE', 'CLUSTER']),
    application: openObject({
      id: z.string(),
      name: z.string(),
      attributes: jsonObject.nullish(),
    }),
    healthCheckResult: healthCheck,
    previousHealthCheckResult: healthCheck,
  }),
})

/** `idn:post-provisioning` (Provisioning Completed): a provisioning action finished, on each source it touched. */
export const postProvisioning = defineTrigger({
  id: 'idn:post-provisioning',
  name: 'Provisioning Completed',
  type: 'fire-and-forget',
  input: openObject({
    trackingNumber: z.string(),
    /** The sources provisioned, comma-separated. */
    sources: z.string(),
    action: z.string().nullish(),
    errors: z.array(z.string()).nullish(),
    warnings: z.array(z.string()).nullish(),
    recipient: identityRef,
    requester: identityRef.nullish(),
    accountRequests: z.array(
      openObject({
        source: openObject({ id: z.string(), type: z.literal('SOURCE'), name: z.string() }),
        accountId: z.string().nullish(),
        accountOperation: z.string(),
        provisioningResult: z.enum(['SUCCESS', 'PENDING', 'FAILED']),
        provisioningTarget: z.string(),
        ticketId: z.string().nullish(),
        attributeRequests: z
          .array(
            openObject({
              attributeName: z.string(),
              attributeValue: z.string().nullish(),
              operation: z.enum(['Add', 'Set', 'Remove']),
            }),
          )
          .nullish(),
      }),
    ),
  }),
})
