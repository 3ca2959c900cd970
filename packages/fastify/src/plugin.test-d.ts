import { createTriggerReceiver } from '@isc-triggers/core'
import Fastify from 'fastify'
import { type TriggersPluginOptions, triggersPlugin } from './plugin.js'

// Checked by `pnpm typecheck`: the plugin's options as app.register() sees them.
export async function registrations() {
  const app = Fastify()
  const receiver = createTriggerReceiver({ auth: { type: 'none' } })

  await app.register(triggersPlugin, { receiver, prefix: '/isc/triggers' })
  await app.register(triggersPlugin, { receiver })
  await app.register(triggersPlugin, () => ({ receiver, prefix: '/isc/triggers' }))
  app.register(triggersPlugin, { receiver, prefix: '/isc/triggers', logLevel: 'warn' }).after(() => {})

  // @ts-expect-error the receiver is required
  await app.register(triggersPlugin, { prefix: '/isc/triggers' })
  // @ts-expect-error the receiver is required
  await app.register(triggersPlugin)
  // @ts-expect-error a receiver from createTriggerReceiver(), not a handler function
  await app.register(triggersPlugin, { receiver: () => {}, prefix: '/isc/triggers' })

  const options: TriggersPluginOptions = { receiver }
  // @ts-expect-error prefix is Fastify's register option, not the plugin's
  const withPrefix: TriggersPluginOptions = { receiver, prefix: '/x' }
  return [options, withPrefix]
}
