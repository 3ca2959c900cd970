import { createTriggerReceiver } from '@isc-triggers/core'
import { triggersPlugin } from '@isc-triggers/fastify'
import Fastify from 'fastify'
import { type Journal, registerTriggers } from './triggers.js'

/** Where ISC delivers: POST /isc/triggers/identity-deleted, /isc/triggers/access-request-pre-approval. */
export const TRIGGER_PATH = '/isc/triggers'

export interface AppOptions {
  /** Bearer tokens the ISC subscriptions send; more than one during a rotation. */
  tokens: string[]
  log?: (line: string) => void
}

/**
 * The service: an ordinary Fastify app with its own routes (Fastify parses their JSON) and the
 * trigger plugin under one prefix. `app.close()` also closes the receiver.
 */
export async function createApp({ tokens, log = console.log }: AppOptions) {
  const journal: Journal = { offboarding: [], decisions: [] }
  const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens } })
  registerTriggers(receiver, journal, log)

  const app = Fastify()
  app.get('/health', async () => ({ ok: true }))
  // The offboarding list, and a route to tick an identity off once its accounts here are closed.
  app.get('/offboarding', async () => journal.offboarding)
  app.post<{ Body: { id: string } }>(
    '/offboarding/done',
    { schema: { body: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } } },
    async (request) => {
      journal.offboarding = journal.offboarding.filter((identity) => identity.id !== request.body.id)
      return journal.offboarding
    },
  )
  await app.register(triggersPlugin, { receiver, prefix: TRIGGER_PATH })
  return { app, receiver, journal }
}
