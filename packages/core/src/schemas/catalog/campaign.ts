import { z } from 'zod'
import { defineTrigger } from '../define-trigger.js'
import { openObject, reviewerRef, timestamp } from './refs.js'

const campaignType = z.enum(['MANAGER', 'SOURCE_OWNER', 'SEARCH', 'ROLE_COMPOSITION', 'MACHINE_ACCOUNT'])
const campaignOwner = openObject({ id: z.string(), displayName: z.string(), email: z.string() })

const campaign = <const S extends readonly [string, ...string[]], D extends z.ZodType>(
  statuses: S,
  deadline: D,
) =>
  openObject({
    campaign: openObject({
      id: z.string(),
      name: z.string(),
      description: z.string().nullish(),
      created: timestamp,
      modified: timestamp.nullish(),
      deadline,
      type: campaignType,
      campaignOwner,
      status: z.enum(statuses),
    }),
  })

/** `idn:campaign-activated`: a certification campaign became active. */
export const campaignActivated = defineTrigger({
  id: 'idn:campaign-activated',
  name: 'Campaign Activated',
  type: 'fire-and-forget',
  input: campaign(['ACTIVE'], timestamp),
})

/** `idn:campaign-ended`: a certification campaign completed. */
export const campaignEnded = defineTrigger({
  id: 'idn:campaign-ended',
  name: 'Campaign Ended',
  type: 'fire-and-forget',
  input: campaign(['COMPLETED'], timestamp),
})

/** `idn:campaign-generated`: a certification campaign was generated (staged). */
export const campaignGenerated = defineTrigger({
  id: 'idn:campaign-generated',
  name: 'Campaign Generated',
  type: 'fire-and-forget',
  input: campaign(['STAGED', 'ACTIVATING', 'ACTIVE'], timestamp.nullish()),
})

/**
 * `idn:certification-signed-off`: a reviewer signed off a certification.
 * Quirk: the docs example's `campaignRef` lacks `correlatedStatus` and
 * `mandatoryCommentRequirement`, which the schema requires; both are optional here.
 */
export const certificationSignedOff = defineTrigger({
  id: 'idn:certification-signed-off',
  name: 'Certification Signed Off',
  type: 'fire-and-forget',
  input: openObject({
    certification: openObject({
      id: z.string(),
      name: z.string(),
      created: timestamp,
      modified: timestamp.nullish(),
      campaignRef: openObject({
        id: z.string(),
        name: z.string(),
        type: z.literal('CAMPAIGN'),
        campaignType,
        description: z.string().nullish(),
        correlatedStatus: z.enum(['CORRELATED', 'UNCORRELATED']).optional(),
        mandatoryCommentRequirement: z
          .enum(['ALL_DECISIONS', 'REVOKE_ONLY_DECISIONS', 'NO_DECISIONS'])
          .optional(),
      }),
      phase: z.enum(['STAGED', 'ACTIVE', 'SIGNED']),
      due: timestamp,
      signed: timestamp,
      reviewer: reviewerRef,
      reassignment: openObject({
        from: openObject({
          id: z.string().optional(),
          name: z.string().optional(),
          type: z.literal('CERTIFICATION').optional(),
          reviewer: reviewerRef.optional(),
        }).optional(),
        comment: z.string().optional(),
      }).nullish(),
      hasErrors: z.boolean(),
      errorMessage: z.string().nullish(),
      completed: z.boolean(),
      decisionsMade: z.number().int(),
      decisionsTotal: z.number().int(),
      entitiesCompleted: z.number().int(),
      entitiesTotal: z.number().int(),
    }),
  }),
})
