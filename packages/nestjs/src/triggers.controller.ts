import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TriggerReceiver } from '@isc-triggers/core'
import { handleNodeRequest } from '@isc-triggers/core/node'
import { All, Controller, Inject, Param, Req, Res, SetMetadata } from '@nestjs/common'
import { TRIGGER_RECEIVER, TRIGGERS_ROUTE } from './triggers.constants.js'
import { type FastifyLikeReply, type FastifyLikeRequest, replyFromFastify } from './triggers.fastify.js'

/**
 * Marks a route as the module's, so it is answered ahead of the platform's body parser
 * (triggers.body-first.ts on Express, triggers.fastify.ts on Fastify).
 */
const ModuleRoute = SetMetadata(TRIGGERS_ROUTE, true)

/**
 * The route deliveries arrive on, mounted at the module's `path` (under the global prefix). It
 * hands the request to the core receiver, which answers every case itself (status, body,
 * headers); `@Res()` keeps Nest's interceptors from reshaping that answer. Express gives it a Node
 * request and response, Fastify its request (`raw`, `body`) and reply. Deliveries are answered
 * before it runs, ahead of the platform's body parser, unless the module's mark is hidden.
 */
@Controller()
export class TriggersController {
  constructor(@Inject(TRIGGER_RECEIVER) private readonly receiver: TriggerReceiver) {}

  /** `<path>` (the trigger from `_metadata.triggerId`) and `<path>/:trigger`, every method. */
  @All(['/', ':trigger'])
  @ModuleRoute
  receive(@Req() req: Request, @Res() res: Response, @Param('trigger') trigger: string | undefined) {
    if ('raw' in req) return replyFromFastify(this.receiver, req, res as FastifyLikeReply)
    return handleNodeRequest(this.receiver, req, res as ServerResponse, { trigger })
  }
}

type Request = IncomingMessage | FastifyLikeRequest
type Response = ServerResponse | FastifyLikeReply
