import { sampleInput } from '@isc-triggers/testing'

/** One benchmark delivery: which trigger, and the exact bytes sent. */
export interface Payload {
  /** The URL segment, e.g. `identity-created`. */
  trigger: string
  label: string
  body: string
}

/** The bearer token every benchmark server accepts. */
export const TOKEN = 'bench-token-3c1f9a77d2'

/** The decision a SYNC handler (or the hand-written route) answers. */
export const DECISION = { approved: true, comment: 'Within policy', approver: 'svc-access-policy' }

/** `idn:post-provisioning` grown to about 100 KiB by repeating its account requests. */
function largePostProvisioning(): string {
  const sample = sampleInput('idn:post-provisioning')
  const request = sample.accountRequests[0]!
  const accountRequests = []
  while (JSON.stringify({ ...sample, accountRequests }).length < 100 * 1024)
    accountRequests.push({
      ...request,
      accountId: `CN=user-${accountRequests.length},OU=Staff,DC=corp,DC=example`,
    })
  return JSON.stringify({ ...sample, accountRequests })
}

export const payloads: Payload[] = [
  {
    trigger: 'identity-created',
    label: 'idn:identity-created',
    body: JSON.stringify(sampleInput('idn:identity-created')),
  },
  { trigger: 'post-provisioning', label: 'idn:post-provisioning, 100 KiB', body: largePostProvisioning() },
  {
    trigger: 'access-request-pre-approval',
    label: 'idn:access-request-pre-approval, SYNC',
    body: JSON.stringify(sampleInput('idn:access-request-pre-approval')),
  },
]
