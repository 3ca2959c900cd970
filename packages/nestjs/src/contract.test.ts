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
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import { Test } from '@nestjs/testing'
import { map } from 'rxjs'
import { TriggersModule } from './triggers.module.js'

/** What both platforms' responses have in common (Express's `res`, Fastify's reply). */
interface PlatformResponse {
  status(code: number): { send(body: object): unknown }
}

/** The app's own catch-all route (a wildcard as each platform's router writes it). */
function fallbackModule(wildcard: string) {
  @Controller()
  class FallbackController {
    @All(wildcard)
    fallback(@Res() res: PlatformResponse) {
      res.status(FALLTHROUGH_STATUS).send({})
    }
  }
  @Module({ controllers: [FallbackController] })
  class FallbackModule {}
  return FallbackModule
}
const wildcards = { express: '*path', fastify: '*' }

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
    host.switchToHttp().getResponse<PlatformResponse>().status(418).send({ rewritten: true })
  }
}

interface AppOptions {
  platform: 'express' | 'fastify'
  /** Fastify's router option: `<path>/<trigger>/` reaches the module only with it. */
  ignoreTrailingSlash?: boolean
  rawBody?: boolean
  prefix?: string
  userGlobals?: boolean
}

async function nestHarness(receiver: TriggerReceiver, options: AppOptions): Promise<Harness> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TriggersModule.forRoot({ receiver, path: MOUNT.slice(1) }),
      fallbackModule(wildcards[options.platform]),
    ],
  }).compile()
  const appOptions = { rawBody: options.rawBody ?? false, logger: false as const }
  const app: INestApplication =
    options.platform === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(
          new FastifyAdapter({ ignoreTrailingSlash: options.ignoreTrailingSlash ?? false }),
          appOptions,
        )
      : moduleRef.createNestApplication(appOptions)
  if (options.prefix) app.setGlobalPrefix(options.prefix)
  if (options.userGlobals) {
    app.useGlobalGuards(new AllowAllGuard())
    app.useGlobalInterceptors(new WrapInterceptor())
    app.useGlobalFilters(new RewriteErrorsFilter())
  }
  await app.init()
  if (options.platform === 'fastify')
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready()
  const http = httpHarness(app.getHttpServer(), () => app.close())
  if (!options.prefix) return http
  // Under a global prefix every route moves, the trigger route and the app's own alike.
  return {
    send: (request) => http.send({ ...request, path: `/${options.prefix}${request.path}` }),
    close: http.close,
  }
}

// Fastify routes a path with a trailing slash to another route (here the app's catch-all) unless
// the adapter is created with `ignoreTrailingSlash: true`, as Express's router does by default.
const trailingSlash = {
  'the full trigger id in the path with a raw colon':
    "Fastify's router, before the module: without ignoreTrailingSlash, `/isc/triggers/<trigger>/` is another route",
}
const skipsOn = { express: {}, fastify: trailingSlash }

for (const platform of ['express', 'fastify'] as const) {
  const name = `nestjs on ${platform}`
  const skip = skipsOn[platform]
  runAdapterContract(`${name}, default body parser`, (receiver) => nestHarness(receiver, { platform }), {
    passThrough: true,
    skip,
  })
  runAdapterContract(
    `${name}, rawBody: true${platform === 'fastify' ? ', ignoreTrailingSlash: true' : ''}`,
    (receiver) => nestHarness(receiver, { platform, rawBody: true, ignoreTrailingSlash: true }),
    { passThrough: true },
  )
  runAdapterContract(
    `${name}, global prefix`,
    (receiver) => nestHarness(receiver, { platform, prefix: 'api' }),
    { passThrough: true, skip },
  )
  runAdapterContract(
    `${name}, with a user's global guard, interceptor and exception filter`,
    (receiver) => nestHarness(receiver, { platform, rawBody: true, userGlobals: true }),
    { skip },
  )

  // The module reads deliveries before the platform's body parser: the properties hold as for every adapter.
  runReceiverProperties(`${name}, default body parser`, (receiver) => nestHarness(receiver, { platform }))
}
