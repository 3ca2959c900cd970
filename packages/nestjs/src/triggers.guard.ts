import type { IncomingMessage } from 'node:http'
import type { TriggerReceiver } from '@isc-triggers/core'
import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common'
import { TRIGGER_RECEIVER } from './triggers.constants.js'

/**
 * Lets through only requests with the credentials the receiver's `auth` accepts (constant-time), for
 * a controller of your own that receives ISC deliveries. The module's own route needs no guard: the
 * receiver checks credentials itself.
 *
 * @example
 * @Post('webhooks/isc/:trigger')
 * @UseGuards(TriggersGuard)
 * receive(@Req() req: Request, @Res() res: Response, @Param('trigger') trigger: string) {
 *   return handleNodeRequest(this.receiver, req, res, { trigger })
 * }
 */
@Injectable()
export class TriggersGuard implements CanActivate {
  constructor(@Inject(TRIGGER_RECEIVER) private readonly receiver: TriggerReceiver) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<IncomingMessage>()
    if (await this.receiver.authenticate(request.headers)) return true
    throw new UnauthorizedException('Invalid ISC trigger credentials')
  }
}
