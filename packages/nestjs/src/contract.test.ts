import 'reflect-metadata'
import type { TriggerReceiver } from '@isc-triggers/core'
import {
  FALLTHROUGH_STATUS,
  type Harness,
  httpHarness,
  MOUNT,
  runAdapterContract,
  runReceiverProperties,
} from '@isc-triggers-internal/test-utils'
import {
  All,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  Catch,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  Module,
  type NestInterceptor,
  Res,
} from '@nestjs/common'
import { Test } from '@nestjs/testing'
import type { Response } from 'express'
import { map } from 'rxjs'
import { TriggersModule } from './triggers.module.js'

@Controller()
class FallbackController {
  @All('*path')
  fallback(@Res() res: Response) {
    res.status(FALLTHROUGH_STATUS).json({})
  }
}
@Module({ controllers: [FallbackController] })
class FallbackModule {}

/** What a user's app may install globally; none of it may change the receiver's answers. */
class AllowAllGuard implements CanActivate {
  canActivate(_context: ExecutionContext) {
    return true
  }
}
class WrapInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle().pipe(map((data) => ({ data })))
  }
}
@Catch()
class RewriteErrorsFilter implements ExceptionFilter {
  catch(_exception: unknown, host: ArgumentsHost) {
    host.switchToHttp().getResponse<Response>().status(418).json({ rewritten: true })
  }
}

interface AppOptions {
  rawBody?: boolean
  prefix?: string
  userGlobals?: boolean
}

async function nestHarness(receiver: TriggerReceiver, options: AppOptions): Promise<Harness> {
  const moduleRef = await Test.createTestingModule({
    imports: [TriggersModule.forRoot({ receiver, path: MOUNT.slice(1) }), FallbackModule],
  }).compile()
  const app: INestApplication = moduleRef.createNestApplication({
    rawBody: options.rawBody ?? false,
    logger: false,
  })
  if (options.prefix) app.setGlobalPrefix(options.prefix)
  if (options.userGlobals) {
    app.useGlobalGuards(new AllowAllGuard())
    app.useGlobalInterceptors(new WrapInterceptor())
    app.useGlobalFilters(new RewriteErrorsFilter())
  }
  await app.init()
  const http = httpHarness(app.getHttpServer(), () => app.close())
  if (!options.prefix) return http
  // Under a global prefix every route moves, the trigger route and the app's own alike.
  return {
    send: (request) => http.send({ ...request, path: `/${options.prefix}${request.path}` }),
    close: http.close,
  }
}

runAdapterContract('nestjs, default body parser', (receiver) => nestHarness(receiver, {}), {
  passThrough: true,
})
runAdapterContract('nestjs, rawBody: true', (receiver) => nestHarness(receiver, { rawBody: true }), {
  passThrough: true,
})
runAdapterContract('nestjs, global prefix', (receiver) => nestHarness(receiver, { prefix: 'api' }), {
  passThrough: true,
})
runAdapterContract("nestjs, with a user's global guard, interceptor and exception filter", (receiver) =>
  nestHarness(receiver, { rawBody: true, userGlobals: true }),
)

// The module reads deliveries before Nest's body parser: the properties hold as for every adapter.
runReceiverProperties('nestjs, default body parser', (receiver) => nestHarness(receiver, {}))
