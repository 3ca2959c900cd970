// The receiver the three recipes mount: the same two handlers whichever runtime serves them.
import {
  createTriggerReceiver,
  type TriggerInput,
  type TriggerOutput,
  type TriggerReceiver,
  type TriggerRejection,
} from '@isc-triggers/core'

/**
 * What the handlers did, and what the receiver refused (a real service would write to its
 * database instead).
 *
 * @example
 * const journal: Journal = { welcomed: ['Ada Lovelace'], decisions: [], rejected: [] }
 */
export interface Journal {
  welcomed: string[]
  decisions: { accessRequestId: string; approved: boolean }[]
  /** Authenticated deliveries the receiver refused (400, 404, 413, 415, 503, ...), kept whole. */
  rejected: TriggerRejection[]
}

/**
 * An empty {@link Journal}.
 *
 * @example
 * const receiver = createRecipeReceiver({ tokens: tokensFromEnv(), journal: emptyJournal() })
 */
export function emptyJournal(): Journal {
  return { welcomed: [], decisions: [], rejected: [] }
}

type AccessRequest = TriggerInput<'idn:access-request-pre-approval'>
type Decision = TriggerOutput<'idn:access-request-pre-approval'>

/**
 * The approval policy: anything administrative goes to a human, the rest is approved.
 *
 * @example
 * decide(input) // { approved: false, comment: 'Prod Admin needs a manual review', approver: 'svc-access-policy' }
 */
export function decide(request: AccessRequest): Decision {
  const admin = request.requestedItems.filter((item) => /admin/i.test(item.name))
  if (admin.length > 0)
    return {
      approved: false,
      comment: `${admin.map((item) => item.name).join(', ')} needs a manual review`,
      approver: 'svc-access-policy',
    }
  return { approved: true, comment: 'Within the standard access policy', approver: 'svc-access-policy' }
}

/**
 * A receiver with the recipes' handlers: `idn:identity-created` (fire-and-forget) records a
 * welcome, `idn:access-request-pre-approval` (SYNC) answers with {@link decide}'s decision. Every
 * refused authenticated delivery goes to `journal.rejected` (`onRejected`).
 *
 * @example
 * const receiver = createRecipeReceiver({ tokens: [process.env.ISC_TOKEN!], journal: emptyJournal() })
 */
export function createRecipeReceiver({
  tokens,
  journal,
}: {
  tokens: string[]
  journal: Journal
}): TriggerReceiver {
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens },
    // ISC never redelivers: a refused delivery (bad payload, unknown trigger, closing, ...) is lost
    // unless kept here. A real service stores it durably before returning (a table, a dead-letter
    // queue; the reply waits up to 5 s for the promise), to fix and replay it later.
    onRejected: (rejection) => {
      journal.rejected.push(rejection)
    },
  })
  receiver.on('idn:identity-created', async (input) => {
    journal.welcomed.push(input.identity.name)
  })
  receiver.on(
    'idn:access-request-pre-approval',
    async (input) => {
      const decision = decide(input)
      journal.decisions.push({ accessRequestId: input.accessRequestId, approved: decision.approved })
      return decision
    },
    // ISC waits 10 s for the answer: deny rather than leave it hanging.
    {
      timeoutMs: 5_000,
      fallback: { approved: false, comment: 'Policy check timed out', approver: 'svc-access-policy' },
    },
  )
  return receiver
}

/**
 * The bearer tokens of the ISC subscriptions, from `ISC_TOKEN` (comma-separated during a rotation).
 *
 * @example
 * createRecipeReceiver({ tokens: tokensFromEnv(), journal: emptyJournal() })
 */
export function tokensFromEnv(): string[] {
  const tokens = (process.env.ISC_TOKEN ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter(Boolean)
  if (tokens.length === 0)
    throw new Error('Set ISC_TOKEN to the bearer token of your ISC trigger subscriptions.')
  return tokens
}
