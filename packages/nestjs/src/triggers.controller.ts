import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TriggerReceiver } from '@isc-triggers/core'
import { handleNodeRequest } from '@isc-triggers/core/node'
import { All, Controller, Inject, Param, Req, Res, SetMetadata } from '@nestjs/common'
import { TRIGGER_RECEIVER, TRIGGERS_ROUTE } from './triggers.constants.js'

/** Marks a route as the module's, so it is answered ahead of Nest's body parser (triggers.body-first.ts). */
const ModuleRoute = SetMetadata(TRIGGERS_ROUTE, true)

/**
 * The route deliveries arrive on, mounted at the module's `path` (under the global prefix). It
 * hands the raw request to the core receiver, which answers every case itself (status, body,
 * headers); `@Res()` keeps Nest's interceptors from reshaping that answer.
 */
@Controller()
export class TriggersController {
  constructor(@Inject(TRIGGER_RECEIVER) private readonly receiver: TriggerReceiver) {}

  @All()
  @ModuleRoute
  receiveNamedByMetadata(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return handleNodeRequest(this.receiver, req, res)
  }

  @All(':trigger')
  @ModuleRoute
  receive(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Param('trigger') trigger: string,
  ): Promise<void> {
    return handleNodeRequest(this.receiver, req, res, { trigger })
  }
}
