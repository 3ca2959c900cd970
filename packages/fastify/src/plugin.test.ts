import type { TriggerReceiver } from '@isc-triggers/core'
import {
  FALLTHROUGH_STATUS,
  httpHarness,
  MOUNT,
  runAdapterContract,
  runReceiverProperties,
} from '@isc-triggers-internal/test-utils'
import Fastify, { type FastifyInstance } from 'fastify'
import { triggersPlugin } from './plugin.js'

/** A real Fastify app served over HTTP; its not-found handler is the contract's fallback. */
async function harness(app: FastifyInstance) {
  app.setNotFoundHandler((_request, reply) => reply.code(FALLTHROUGH_STATUS).send({}))
  await app.ready()
  return httpHarness(app.server, () => app.close())
}

runAdapterContract(
  'fastify 5, register with a prefix',
  (receiver) => {
    const app = Fastify()
    app.register(triggersPlugin, { receiver, prefix: MOUNT })
    return harness(app)
  },
  { passThrough: true },
)

// Inside a plugin of the app's, with its own JSON parser and hooks, under a nested prefix and a
// router that ignores trailing slashes: the plugin's scope still reads the body itself.
runAdapterContract(
  'fastify 5, nested in a plugin with its own parser, ignoreTrailingSlash',
  (receiver: TriggerReceiver) => {
    const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } })
    app.register(
      async (api) => {
        api.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
          done(null, JSON.parse(body as string)),
        )
        api.addHook('onRequest', async () => {})
        api.register(triggersPlugin, { receiver, prefix: MOUNT.slice(MOUNT.lastIndexOf('/')) })
      },
      { prefix: MOUNT.slice(0, MOUNT.lastIndexOf('/')) },
    )
    return harness(app)
  },
  { passThrough: true },
)

runReceiverProperties('fastify 5, register with a prefix', async (receiver) => {
  const app = Fastify()
  app.register(triggersPlugin, { receiver, prefix: MOUNT })
  await app.ready()
  return httpHarness(app.server, () => app.close())
})
