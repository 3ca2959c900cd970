// Recipe: Bun. `bun run src/bun.ts` serves the default export with Bun.serve; nothing here needs
// Bun's globals, so the file also type-checks (and is tested) under Node.
import type { TriggerReceiver } from '@isc-triggers/core'
import { createRecipeReceiver, emptyJournal, tokensFromEnv } from './triggers.js'

/** Where ISC delivers: POST /isc/triggers/identity-created, ... */
export const TRIGGER_PATH = '/isc/triggers'

/**
 * A Fetch handler that gives `/isc/triggers/<trigger>` and `/isc/triggers` to the receiver (which
 * answers 405 to anything but POST) and 404s the rest.
 *
 * @example
 * export default { port: 3000, fetch: triggersFetch(receiver) }
 */
export function triggersFetch(receiver: TriggerReceiver): (request: Request) => Promise<Response> {
  return async (request) => {
    const { pathname } = new URL(request.url)
    if (pathname === TRIGGER_PATH) return receiver.fetch(request)
    if (pathname.startsWith(`${TRIGGER_PATH}/`)) return receiver.fetch(request, segment(pathname))
    if (pathname === '/health') return Response.json({ ok: true })
    return new Response('Not Found', { status: 404 })
  }
}

// The trigger as written in the subscription's URL (`idn%3Aidentity-created` too); anything else
// reaches core as is, which answers 404 naming it.
function segment(pathname: string): string {
  const raw = pathname.slice(TRIGGER_PATH.length + 1)
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/** What the handlers did (a real service would write to its database instead). */
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

/** `Bun.serve` options: `bun run` serves a default export that has `fetch`. */
export default { port: Number(process.env.PORT ?? 3000), fetch: triggersFetch(receiver) }
