import { createTriggerReceiver } from '@isc-triggers/core'
import { createTriggerMiddleware } from '@isc-triggers/express'
import express from 'express'
import { type Journal, registerTriggers } from './triggers.js'

/** Where ISC delivers: POST /isc/triggers/identity-created, /isc/triggers/access-request-pre-approval. */
export const TRIGGER_PATH = '/isc/triggers'

export interface AppOptions {
  /** Bearer tokens the ISC subscriptions send; more than one during a rotation. */
  tokens: string[]
  log?: (line: string) => void
}

/** The service: an ordinary Express app with the trigger receiver mounted on one path. */
export function createApp({ tokens, log = console.log }: AppOptions) {
  const journal: Journal = { welcomed: [], decisions: [] }
  const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens } })
  registerTriggers(receiver, journal, log)

  const app = express()
  app.get('/health', (_req, res) => {
    res.json({ ok: true })
  })
  app.use(TRIGGER_PATH, createTriggerMiddleware(receiver))
  return { app, receiver, journal }
}
