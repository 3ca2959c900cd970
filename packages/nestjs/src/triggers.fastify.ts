import type { IncomingMessage } from 'node:http'
import type { TriggerReceiver } from '@isc-triggers/core'
import { receiveNodeRequest } from '@isc-triggers/core/node'
import { TRIGGERS_ROUTE } from './triggers.constants.js'

/** The little of a Fastify request (Nest's Fastify platform) the module reads; `body` once parsed. */
export type FastifyLikeRequest = { raw: IncomingMessage; params?: { trigger?: string }; body?: unknown }
/** The little of a Fastify reply the module writes with. */
export type FastifyLikeReply = {
  status(code: number): { headers(values: object): { send(body: string): unknown } }
}
type FastifyRoute = { url?: string; handler?: object; onRequest?: unknown }

/**
 * Answers a Fastify request with the receiver's reply (status, headers and body as they are).
 * Unread, the body is read from `request.raw` under the receiver's limits; already read by
 * Fastify, its parsed `body` (or `rawBody`) is taken instead; read by a middleware before Fastify
 * (`app.use(express.json())`), what it left on `request.raw`.
 *
 * @example
 * await replyFromFastify(receiver, request, reply) // the trigger from `request.params.trigger`
 */
export async function replyFromFastify(
  receiver: TriggerReceiver,
  request: FastifyLikeRequest,
  reply: FastifyLikeReply,
) {
  const answer = await receiveNodeRequest(receiver, request.raw, {
    parsed: request.body === undefined ? undefined : request,
    trigger: request.params?.trigger,
  })
  reply.status(answer.status).headers(answer.headers).send(answer.body)
}

/**
 * Makes the module's routes answer from an `onRequest` hook of their own, before Fastify parses
 * their body: authentication first, the receiver's `bodyLimit` and `bodyTimeoutMs`, its 415 and
 * 400 in its own format, and `onRejected` for what it refuses. Called before Nest registers routes.
 * The module's routes are known by the TRIGGERS_ROUTE mark Nest copies onto the handler of
 * `<path>`; Nest's Fastify adapter wraps the handler of `<path>/:trigger`, so those are known as
 * the `…/:trigger` routes Nest registers right after them, one for each (a global prefix may be
 * excluded from one and not the other), marked or not; a route after those is not one. A route whose mark is hidden (a wrapped handler) is
 * answered by the controller, with the body Fastify parsed.
 *
 * @example
 * answerBeforeFastifyParses(httpAdapterHost.httpAdapter.getInstance(), receiver)
 */
export function answerBeforeFastifyParses(instance: unknown, receiver: TriggerReceiver): void {
  let owed = 0 // `<path>/:trigger` routes still to come, one for each `<path>` route just registered
  const fastify = instance as { addHook(name: 'onRoute', hook: (route: FastifyRoute) => void): void }
  fastify.addHook('onRoute', (route) => {
    const marked = Boolean(route.handler && Reflect.getMetadata(TRIGGERS_ROUTE, route.handler))
    const param = route.url?.endsWith('/:trigger') === true
    const ours = marked || (owed > 0 && param)
    // A `…/:trigger` route (marked, when the adapter hides nothing) is one owed; another route ends the run.
    owed = param ? Math.max(owed - 1, 0) : marked ? owed + 1 : 0
    if (!ours) return
    const answer = async (request: FastifyLikeRequest, reply: FastifyLikeReply) => {
      await replyFromFastify(receiver, request, reply)
      return reply // the reply is sent: Fastify reads no body and runs no handler
    }
    route.onRequest = [route.onRequest ?? []].flat().concat(answer)
  })
}
