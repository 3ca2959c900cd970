// Recipe: Bun. `bun run src/bun.ts` serves the default export with Bun.serve; nothing here needs
// Bun's globals, so the file also type-checks (and is tested) under Node.
import type { TriggerReceiver } from '@isc-triggers/core'
import { triggerSegment } from '@isc-triggers/core/node'
import { createRecipeReceiver, emptyJournal, tokensFromEnv } from './triggers.js'

/**
 * Where ISC delivers: `POST /isc/triggers/<trigger>`, or `POST /isc/triggers` with the trigger in
 * `_metadata.triggerId`.
 *
 * @example
 * // The URL of an ISC subscription:
 * const url = `https://hooks.example.com${TRIGGER_PATH}/identity-created`
 */
export const TRIGGER_PATH = '/isc/triggers'

/**
 * A Fetch handler that gives `/isc/triggers/<trigger>` and `/isc/triggers` to the receiver, whatever
 * the method (the receiver answers 405 to anything but POST), and 404s the rest.
 *
 * @example
 * export default { port: 3000, fetch: triggersFetch(receiver) }
 */
export function triggersFetch(receiver: TriggerReceiver): (request: Request) => Promise<Response> {
  return async (request) => {
    const { pathname } = new URL(request.url)
    // '' for the mount path itself; the decoded segment (`idn%3Aidentity-created` too); undefined
    // for any other path, a nested one, or a segment that is not valid percent-encoding.
    const trigger = triggerSegment(pathname, TRIGGER_PATH)
    if (trigger !== undefined) return receiver.fetch(request, trigger === '' ? undefined : trigger)
    if (pathname === '/health') return Response.json({ ok: true })
    return new Response('Not Found', { status: 404 })
  }
}

/**
 * What this module's handlers did and what its receiver refused (a real service would write to
 * its database instead).
 *
 * @example
 * journal.welcomed // ['Mary Jackson'] once her identity-created delivery was handled
 */
export const journal = emptyJournal()
const receiver = createRecipeReceiver({ tokens: tokensFromEnv(), journal })

/**
 * Waits for in-flight deliveries (ISC never redelivers); Bun runs it on SIGTERM and SIGINT.
 *
 * @example
 * process.once('SIGTERM', () => shutdown().finally(() => process.exit(0)))
 */
export function shutdown(): Promise<unknown> {
  return receiver.close()
}
if ('Bun' in globalThis)
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      shutdown().finally(() => process.exit(0))
    })

/**
 * `Bun.serve` options: `bun run` serves a default export that has `fetch`.
 *
 * @example
 * // What `bun run src/bun.ts` does with it:
 * import options from './bun.ts'
 * Bun.serve(options)
 */
export default { port: Number(process.env.PORT ?? 3000), fetch: triggersFetch(receiver) }
