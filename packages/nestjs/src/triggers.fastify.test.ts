import 'reflect-metadata'
import type { IncomingMessage } from 'node:http'
import { gzipSync } from 'node:zlib'
import { createTriggerReceiver, type TriggerReceiver, type TriggerRejection } from '@isc-triggers/core'
import { receiveNodeRequest } from '@isc-triggers/core/node'
import { bearer, identityCreatedSample, TEST_TOKEN } from '@isc-triggers-internal/test-utils'
import {
  Body,
  Controller,
  Get,
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestApplicationOptions,
  type NestModule,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
  VersioningType,
} from '@nestjs/common'
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import { Test } from '@nestjs/testing'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { TRIGGER_RECEIVER } from './triggers.constants.js'
import { TriggersGuard } from './triggers.guard.js'
import { TriggersModule } from './triggers.module.js'

/** Routes of the user's own, which keep Fastify's JSON parsing. */
@Controller()
class UserController {
  @Post('orders')
  create(@Body() body: unknown) {
    return { received: body }
  }
  @Get('health')
  health() {
    return { ok: true }
  }
  @Post('other')
  other(@Body() body: unknown) {
    return { received: body }
  }
}
/** Another controller whose route ends in the module's `/isc/triggers/:trigger`, under another base. */
@Controller('partner/isc/triggers')
class PartnerController {
  @Post(':trigger')
  receive(@Param('trigger') trigger: string, @Body() body: unknown) {
    return { trigger, received: body }
  }
}
/** The README's controller of your own on Fastify: TriggersGuard, then the body Fastify parsed. */
@Controller('custom')
class OwnController {
  constructor(@Inject(TRIGGER_RECEIVER) private readonly receiver: TriggerReceiver) {}

  @Post(':trigger')
  @UseGuards(TriggersGuard)
  async receive(
    @Req() req: { raw: IncomingMessage; body?: unknown },
    @Res() reply: { status(code: number): { headers(values: object): { send(body: string): void } } },
    @Param('trigger') trigger: string,
  ) {
    const answer = await receiveNodeRequest(this.receiver, req.raw, { parsed: req, trigger })
    reply.status(answer.status).headers(answer.headers).send(answer.body)
  }
}
@Module({ controllers: [UserController, PartnerController] })
class UserRoutesModule implements NestModule {
  // Middleware applied with a MiddlewareConsumer: on Fastify it runs before the module's route hook.
  configure(consumer: MiddlewareConsumer) {
    consumer
      .apply((_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => {
        res.setHeader('x-consumer-middleware', 'ran')
        next()
      })
      .forRoutes('*path')
  }
}

/** What a route-wrapping Fastify plugin does (tracing, metrics): its own handler around each route's. */
function wrapEveryRouteHandler(app: NestFastifyApplication) {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      const handler = route.handler
      route.handler = function (this: unknown, ...args: Parameters<typeof handler>) {
        return handler.apply(this as never, args)
      }
    })
}

interface Setup {
  name: string
  options?: NestApplicationOptions
  /** What the user's main.ts does between create() and listen(). */
  before?: (app: NestFastifyApplication) => void
  /** Where deliveries arrive in this setup. */
  path?: string
}

// 10 KiB of gzip inflating to 10 MiB: never inflated; refused from its Content-Encoding (401 without
// credentials, else 415), where Fastify's parser would answer its own 400.
const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 32))

const setups: Setup[] = [
  { name: "Fastify's default parsers (Nest's)" },
  { name: 'rawBody: true', options: { rawBody: true } },
  { name: 'bodyParser: false', options: { bodyParser: false } },
  {
    name: "app.useBodyParser('application/json', { bodyLimit })",
    before: (app) => void app.useBodyParser('application/json', { bodyLimit: 10 }),
  },
  {
    name: 'a global guard that refuses everything (deliveries are answered before Nest routes)',
    before: (app) => void app.useGlobalGuards({ canActivate: () => false }),
  },
  { name: 'a global prefix', before: (app) => void app.setGlobalPrefix('api'), path: '/api/isc/triggers' },
  {
    name: 'URI versioning',
    before: (app) => void app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' }),
    path: '/v1/isc/triggers',
  },
]

const apps: NestFastifyApplication[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

async function start(setup: Omit<Setup, 'name'> = {}, triggersPath?: string) {
  const calls: unknown[] = []
  const rejected: TriggerRejection[] = []
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens: [TEST_TOKEN] },
    logger: false,
    onRejected: (rejection) => void rejected.push(rejection),
  }).on('idn:identity-created', (input) => {
    calls.push(input)
  })
  const triggers = TriggersModule.forRoot(
    triggersPath === undefined ? { receiver } : { receiver, path: triggersPath },
  )
  const moduleRef = await Test.createTestingModule({
    imports: [triggers, UserRoutesModule], // the module first: Fastify's router does not mind
    controllers: [OwnController],
  }).compile()
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger: false,
    ...setup.options,
  })
  apps.push(app)
  // A user's own middleware in main.ts: it still runs for deliveries.
  app.use((_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => {
    res.setHeader('x-user-middleware', 'ran')
    next()
  })
  setup.before?.(app)
  await app.init()
  await app.getHttpAdapter().getInstance().ready()
  const server = app.getHttpServer()
  const post = (path: string, headers: Record<string, string>, body: string | Buffer) =>
    request(server)
      .post(path)
      .set({ 'content-type': 'application/json', ...headers })
      .serialize((bytes) => bytes)
      .send(body)
  return { server, post, calls, rejected }
}

const authorised = { authorization: bearer(TEST_TOKEN) }

describe('on Fastify, the module reads deliveries before Fastify parses them', () => {
  it.each(setups)('$name', async (setup) => {
    const { post, calls } = await start(setup)
    const at = `${setup.path ?? '/isc/triggers'}/identity-created`

    const unauthenticated = await post(at, { 'content-encoding': 'gzip' }, bomb)
    expect(unauthenticated.status).toBe(401)
    expect(unauthenticated.body.error.code).toBe('UNAUTHORIZED')
    const compressed = await post(at, { ...authorised, 'content-encoding': 'gzip' }, bomb)
    expect(compressed.status).toBe(415)
    expect(compressed.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    const malformed = await post(at, authorised, '{"identity":')
    expect(malformed.status).toBe(400)
    expect(malformed.body.error.code).toBe('INVALID_JSON')
    const delivered = await post(at, authorised, JSON.stringify(identityCreatedSample()))
    expect(delivered.status).toBe(200)
    expect(delivered.headers['x-user-middleware']).toBe('ran')
    expect(delivered.headers['x-consumer-middleware']).toBe('ran')
    expect(calls).toHaveLength(1)
  })

  it("keeps Fastify's JSON parsing for the app's own routes, and another controller's …/isc/triggers/:trigger", async () => {
    const { server } = await start()
    const order = await request(server).post('/orders').send({ id: 7 })
    expect(order.status).toBe(201)
    expect(order.body).toEqual({ received: { id: 7 } })
    const partner = await request(server).post('/partner/isc/triggers/identity-created').send({ id: 7 })
    expect(partner.status).toBe(201)
    expect(partner.body).toEqual({ trigger: 'identity-created', received: { id: 7 } })
  })

  it('a root mount receives deliveries at POST /<trigger> and leaves GET /health and POST /other to their routes', async () => {
    const { server, post, calls } = await start({}, '')
    const health = await request(server).get('/health')
    expect(health.status).toBe(200)
    expect(health.body).toEqual({ ok: true })
    const other = await request(server).post('/other').send({ id: 7 })
    expect(other.status).toBe(201)
    expect(other.body).toEqual({ received: { id: 7 } })
    const unauthenticated = await post('/identity-created', { 'content-encoding': 'gzip' }, bomb)
    expect(unauthenticated.status).toBe(401)
    const delivered = await post('/identity-created', authorised, JSON.stringify(identityCreatedSample()))
    expect(delivered.status).toBe(200)
    expect(calls).toHaveLength(1)
  })
})

it('a controller of your own: TriggersGuard checks the credentials, the receiver answers with the parsed body', async () => {
  const { post, calls } = await start()
  const body = JSON.stringify(identityCreatedSample())
  const denied = await post('/custom/identity-created', { authorization: bearer('wrong') }, body)
  expect(denied.status).toBe(401)
  expect(calls).toHaveLength(0)
  const delivered = await post('/custom/identity-created', authorised, body)
  expect(delivered.status).toBe(200)
  expect(calls).toEqual([identityCreatedSample()])
})

describe('a plugin that wraps every route handler hides the module mark', () => {
  it('the controller answers, in the receiver format, with the body Fastify parsed', async () => {
    const { post, calls, rejected } = await start({ before: wrapEveryRouteHandler })
    const at = '/isc/triggers/identity-created'
    const delivered = await post(at, authorised, JSON.stringify(identityCreatedSample()))
    expect(delivered.status).toBe(200)
    expect(delivered.body).toEqual({})
    expect(calls).toEqual([identityCreatedSample()])
    const unauthenticated = await post(at, {}, JSON.stringify(identityCreatedSample()))
    expect(unauthenticated.status).toBe(401)
    expect(unauthenticated.body.error.code).toBe('UNAUTHORIZED')
    const invalid = await post(at, authorised, JSON.stringify({ identity: {} }))
    expect(invalid.status).toBe(400)
    expect(invalid.body.error.code).toBe('INVALID_PAYLOAD')
    expect(rejected.map((rejection) => rejection.code)).toEqual(['INVALID_PAYLOAD'])
    // What Fastify refuses before any route keeps Nest's format, and onRejected never sees it.
    const malformed = await post(at, authorised, '{"identity":')
    expect(malformed.status).toBe(400)
    expect(malformed.body).toMatchObject({ statusCode: 400 })
    expect(rejected).toHaveLength(1)
  })
})
