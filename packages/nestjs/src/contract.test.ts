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

// Nest's own body parser runs before any route; it answers malformed JSON itself.
const parserOwnsMalformedJson = {
  'malformed JSON → 400': "Nest's body parser (express.json) answers malformed JSON before any route runs",
  'onRejected keeps malformed JSON with its raw body':
    "Nest's body parser answers malformed JSON before any route runs, so the receiver never sees it (issue: Nest's parser reads first)",
}

runAdapterContract('nestjs, default body parser', (receiver) => nestHarness(receiver, {}), {
  passThrough: true,
  skip: parserOwnsMalformedJson,
})
runAdapterContract('nestjs, rawBody: true', (receiver) => nestHarness(receiver, { rawBody: true }), {
  passThrough: true,
  skip: parserOwnsMalformedJson,
})
runAdapterContract('nestjs, global prefix', (receiver) => nestHarness(receiver, { prefix: 'api' }), {
  passThrough: true,
  skip: parserOwnsMalformedJson,
})
runAdapterContract(
  "nestjs, with a user's global guard, interceptor and exception filter",
  (receiver) => nestHarness(receiver, { rawBody: true, userGlobals: true }),
  { skip: parserOwnsMalformedJson },
)

// Nest's own body parser answers malformed and compressed bodies before any route (its error format,
// `{ statusCode, message }`); everything else must hold as for every adapter.
runReceiverProperties('nestjs, default body parser', (receiver) => nestHarness(receiver, {}), {
  frameworkRejection: (body) =>
    typeof body.statusCode === 'number' &&
    body.statusCode < 500 &&
    !('error' in body && typeof body.error === 'object'),
})
