// The certification campaign triggers and certification sign-off.
import { grace, type SampleInputs } from './shared.js'

const campaign = {
  id: '9c4f2e0a7b1d4f3e8a6c5b2d1e0f9a8b',
  name: 'Q1 Manager Access Review',
  description: 'Managers review the access of their direct reports',
  created: '2026-01-05T08:00:00.000Z',
  modified: null,
  deadline: '2026-02-05T08:00:00.000Z',
  type: 'MANAGER',
  campaignOwner: { id: grace.id, displayName: 'Grace Hopper', email: 'grace.hopper@example.com' },
} as const

export const campaignInputs = {
  'idn:campaign-generated': { campaign: { ...campaign, status: 'STAGED' } },
  'idn:campaign-activated': { campaign: { ...campaign, status: 'ACTIVE' } },
  'idn:campaign-ended': {
    campaign: { ...campaign, status: 'COMPLETED', modified: '2026-02-05T08:00:00.000Z' },
  },
  'idn:certification-signed-off': {
    certification: {
      id: '2f4e6a8c0b1d4f3e9a7c5e3b1d9f7a5c',
      name: 'Q1 Manager Access Review for Grace Hopper',
      created: campaign.created,
      modified: null,
      campaignRef: {
        id: campaign.id,
        name: campaign.name,
        type: 'CAMPAIGN',
        campaignType: 'MANAGER',
        description: campaign.description,
        correlatedStatus: 'CORRELATED',
        mandatoryCommentRequirement: 'REVOKE_ONLY_DECISIONS',
      },
      phase: 'SIGNED',
      due: campaign.deadline,
      signed: '2026-01-28T16:42:10.000Z',
      reviewer: { id: grace.id, name: grace.name, type: 'IDENTITY', email: 'grace.hopper@example.com' },
      reassignment: null,
      hasErrors: false,
      errorMessage: null,
      completed: true,
      decisionsMade: 12,
      decisionsTotal: 12,
      entitiesCompleted: 3,
      entitiesTotal: 3,
    },
  },
} satisfies Partial<SampleInputs>
