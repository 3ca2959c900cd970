import type { TriggerContext, TriggerOutput } from '@isc-triggers/core'

// What request-response tests decide and send: shared by the adapter contract and packages/tests.

/** The pre-approval decision type. */
export type Decision = TriggerOutput<'idn:access-request-pre-approval'>
/** A pre-approval handler as the request-response tests register it. */
export type DecisionHandler = (input: unknown, ctx: TriggerContext) => Decision | Promise<Decision>

/** A valid pre-approval decision. */
export const DECISION: Decision = { approved: true, comment: 'Within policy', approver: 'svc-access-policy' }
/** What handlers return: a key the output schema does not declare, which ISC must never get. */
export const DECISION_WITH_EXTRA = { ...DECISION, notForIsc: 'stripped' }
/** The invocation secret the tests' `_metadata` carries. */
export const INVOCATION_SECRET = '9d3b6a1e-0c4f-4e8a-b2d7-5f1c3e9a7b60'
