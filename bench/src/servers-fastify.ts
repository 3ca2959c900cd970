// The Fastify benchmark servers: a hand-written route and the plugin, both on Fastify 5. Fastify
// is imported when one of them starts, so the other scenarios' processes do not load it.
import type { Server } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { DECISION, TOKEN } from './payloads.js'
import { benchReceiver } from './servers-receiver.js'

async function fastify(): Promise<FastifyInstance> {
  const { default: Fastify } = await import('fastify')
  return Fastify()
}

async function serverOf(app: FastifyInstance): Promise<Server> {
  await app.ready()
  return app.server
}

export const fastifyScenarios: Record<string, () => Promise<Server>> = {
  // What a user writes by hand: Fastify's JSON parser and a string compare of the bearer token.
  'fastify bare': async () => {
    const app = await fastify()
    app.post<{ Params: { trigger: string } }>('/isc/triggers/:trigger', async (request, reply) => {
      if (request.headers.authorization !== `Bearer ${TOKEN}`) return reply.code(401).send()
      return request.params.trigger === 'access-request-pre-approval' ? DECISION : {}
    })
    return serverOf(app)
  },
  'fastify isc-triggers': async () => {
    const app = await fastify()
    const { triggersPlugin } = await import('@isc-triggers/fastify')
    await app.register(triggersPlugin, { receiver: benchReceiver(), prefix: '/isc/triggers' })
    return serverOf(app)
  },
}
