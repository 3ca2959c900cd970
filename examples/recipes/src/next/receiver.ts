// Recipe: Next.js App Router. The receiver is created once, on the first delivery (not at import:
// `next build` loads route modules, where ISC_TOKEN may be unset), and kept for the process.
import type { TriggerReceiver } from '@isc-triggers/core'
import { createRecipeReceiver, emptyJournal, tokensFromEnv } from '../triggers'

/**
 * What the handlers of this module's receiver did, and what it refused (a real service would write
 * to its database instead).
 *
 * @example
 * journal.rejected // the deliveries the receiver refused, as onRejected got them
 */
export const journal = emptyJournal()

// Next may bundle this module more than once (route handlers, instrumentation.ts): every copy
// lists its receiver in one process-wide set, so closeTriggerReceivers() reaches them all.
const LIVE = Symbol.for('isc-triggers-recipes.next-receivers')
const registry = globalThis as { [LIVE]?: Set<TriggerReceiver> }
registry[LIVE] ??= new Set()
const live = registry[LIVE]

let receiver: TriggerReceiver | undefined

/**
 * The service's receiver, created on the first call.
 *
 * @example
 * export const POST = (request: Request) => triggerReceiver().fetch(request)
 */
export function triggerReceiver(): TriggerReceiver {
  if (!receiver) {
    receiver = createRecipeReceiver({ tokens: tokensFromEnv(), journal })
    live.add(receiver)
  }
  return receiver
}

/**
 * Closes every receiver of the process, waiting for in-flight deliveries (ISC never redelivers):
 * call it on SIGTERM, from `instrumentation.ts` (see the README).
 *
 * @example
 * process.once('SIGTERM', () => closeTriggerReceivers().finally(() => process.exit(0)))
 */
export async function closeTriggerReceivers(): Promise<void> {
  await Promise.all([...live].map((each) => each.close()))
}
