import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TriggerReceiver } from '@isc-triggers/core'
import { handleNodeRequest } from '@isc-triggers/core/node'
import { All, Controller, Inject, Param, Req, Res } from '@nestjs/common'
import { TRIGGER_RECEIVER } from './triggers.constants.js'

/**
 * The route deliveries arrive on, mounted at the module's `path` (under the global prefix). It
 * hands the raw request to the core receiver, which answers every case itself (status, body,
 * headers); `@Res()` keeps Nest's interceptors from reshaping that answer.
 */
@Controller()
export class TriggersController {
  constructor(@Inject(TRIGGER_RECEIVER) private readonly receiver: TriggerReceiver) {}

  @All()
  receiveNamedByMetadata(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return handleNodeRequest(this.receiver, req, res)
  }

  @All(':trigger')
  receive(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Param('trigger') trigger: string,
  ): Promise<void> {
    return handleNodeRequest(this.receiver, req, res, { trigger })
  }
}
