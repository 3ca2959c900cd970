import type { TriggerInput, TriggerOutput, TriggerReceiver } from '@isc-triggers/core'

/** What this service keeps of the deliveries (a real one would use a database or a queue). */
export interface Journal {
  /** Identities deleted in ISC whose accounts here still have to be closed. */
  offboarding: { id: string; name: string }[]
  decisions: { accessRequestId: string; approved: boolean }[]
}

type AccessRequest = TriggerInput<'idn:access-request-pre-approval'>
type Decision = TriggerOutput<'idn:access-request-pre-approval'>

/** Access this service never approves on its own: anything privileged goes to a human. */
const PRIVILEGED = /admin|root|prod/i

/** The approval policy: deny privileged items, approve the rest. */
export function decide(request: AccessRequest): Decision {
  const privileged = request.requestedItems.filter(
    (item) => item.operation === 'Add' && PRIVILEGED.test(item.name),
  )
  if (privileged.length > 0)
    return {
      approved: false,
      comment: `Privileged access (${privileged.map((item) => item.name).join(', ')}) needs a manual review`,
      approver: 'svc-access-policy',
    }
  return { approved: true, comment: 'Within the standard access policy', approver: 'svc-access-policy' }
}

/** Registers this service's two handlers. */
export function registerTriggers(
  receiver: TriggerReceiver,
  journal: Journal,
  log: (line: string) => void,
): void {
  receiver.on('idn:identity-deleted', async (input) => {
    // input is typed: input.identity.id and .name are strings.
    journal.offboarding.push({ id: input.identity.id, name: input.identity.name })
    log(`identity-deleted: offboard ${input.identity.name} (${input.identity.id})`)
  })

  receiver.on(
    'idn:access-request-pre-approval',
    async (input) => {
      const decision = decide(input)
      journal.decisions.push({ accessRequestId: input.accessRequestId, approved: decision.approved })
      log(
        `access-request-pre-approval: ${input.accessRequestId} ${decision.approved ? 'approved' : 'denied'}`,
      )
      return decision
    },
    // ISC waits 10 s; if the policy ever takes longer than 5 s, deny rather than leave ISC hanging.
    {
      timeoutMs: 5_000,
      fallback: { approved: false, comment: 'Policy check timed out', approver: 'svc-access-policy' },
    },
  )
}
