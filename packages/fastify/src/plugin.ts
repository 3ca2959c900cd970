import { Readable } from 'node:stream'
import type { TriggerReceiver } from '@isc-triggers/core'
import { answerNodeRequest } from '@isc-triggers/core/node'
import type { FastifyPluginCallback, FastifyReply, FastifyRequest, preParsingHookHandler } from 'fastify'

/**
 * Options of {@link triggersPlugin}: the receiver. Where it is served is Fastify's own `prefix`
 * register option.
 *
 * @example
 * const options: TriggersPluginOptions = { receiver }
 * await app.register(triggersPlugin, { ...options, prefix: '/isc/triggers' })
 */
export interface TriggersPluginOptions {
  /** The receiver from `createTriggerReceiver()` of `@isc-triggers/core`; closed with the app. */
  receiver: TriggerReceiver
}

/**
 * A Fastify plugin (Fastify 5) that receives ISC trigger deliveries with a receiver from
 * `@isc-triggers/core`: `POST <prefix>/:trigger` (the trigger as `identity-created` or
 * `idn:identity-created`) and `POST <prefix>` (the trigger from `_metadata.triggerId`). Other
 * methods on these paths get the receiver's 405 with `Allow: POST`.
 *
 * It is an encapsulated plugin: inside it the request body is left unread (its own content-type
 * parser replaces Fastify's), so the receiver reads it under its own limits and answers every
 * refusal in its JSON format; the app's other routes keep Fastify's parsers. `app.close()` closes
 * the receiver (an `onClose` hook), which lets in-flight deliveries finish.
 *
 * @example
 * const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [process.env.ISC_TOKEN!] } })
 * receiver.on('idn:identity-created', async (input) => app.log.info(input.identity.name))
 * await app.register(triggersPlugin, { receiver, prefix: '/isc/triggers' })
 * // POST /isc/triggers/identity-created → 200 {}
 */
export const triggersPlugin: FastifyPluginCallback<TriggersPluginOptions> = (app, { receiver }, done) => {
  // The body stays in a stream for the receiver (limits, timeout, 415, JSON errors are its own):
  // `request.raw`, or the stream the app's preParsing hooks put in its place (the parser gets it).
  // A route's own preParsing hooks (fastify-raw-body adds one to every route) would read it beside
  // the receiver: before them, the route's stream is kept and they get an empty one. Routes without
  // such hooks pay nothing for it.
  const kept = new WeakMap<FastifyRequest, Readable>()
  const keep: preParsingHookHandler = (request, _reply, payload, next) => {
    kept.set(request, payload)
    next(null, Readable.from([]))
  }
  app.addHook('onRoute', (route) => {
    const hooks = [route.preParsing ?? []].flat()
    if (hooks.length > 0) route.preParsing = [keep, ...hooks]
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (request, payload, parsed) => {
    const stream = kept.get(request) ?? payload
    parsed(null, stream === request.raw ? undefined : stream)
  })

  // A callback-style handler (returns nothing, replies later): no promise on the way.
  function deliver(request: FastifyRequest, reply: FastifyReply): void {
    const { trigger } = request.params as { trigger?: string }
    const body = request.body as Readable | undefined
    answerNodeRequest(
      receiver,
      request.raw,
      { trigger, body },
      (answer) => reply.code(answer.status).headers(answer.headers).send(answer.body),
      (error) => reply.send(error),
    )
  }
  // Every method reaches the receiver, which answers anything but POST with 405. A trailing slash
  // is accepted as Express accepts it (a route of its own, unless the router already ignores it).
  const { routerOptions, ignoreTrailingSlash } = app.initialConfig
  const slashIgnored = routerOptions?.ignoreTrailingSlash ?? ignoreTrailingSlash
  for (const url of slashIgnored ? ['/', '/:trigger'] : ['/', '/:trigger', '/:trigger/'])
    app.all(url, deliver)
  app.addHook('onClose', async () => {
    await receiver.close()
  })
  done()
}
