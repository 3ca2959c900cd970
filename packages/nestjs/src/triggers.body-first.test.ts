import 'reflect-metadata'
import { gzipSync } from 'node:zlib'
import { createTriggerReceiver } from '@isc-triggers/core'
import { bearer, identityCreatedSample, TEST_TOKEN } from '@isc-triggers-internal/test-utils'
import {
  Body,
  Controller,
  Get,
  Module,
  type NestApplicationOptions,
  Param,
  Post,
  VersioningType,
} from '@nestjs/common'
import type { NestExpressApplication } from '@nestjs/platform-express'
import { Test } from '@nestjs/testing'
import express from 'express'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { TriggersModule } from './triggers.module.js'

/** An app route of the user's own, which must keep Nest's JSON parsing. */
@Controller('orders')
class OrdersController {
  @Post()
  create(@Body() body: unknown) {
    return { received: body }
  }
}
@Module({ controllers: [OrdersController] })
class OrdersModule {}

/** One-segment routes of the user's own, next to a root mount. */
@Controller()
class HealthController {
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
@Module({ controllers: [HealthController, PartnerController] })
class UserRoutesModule {}

interface Setup {
  name: string
  options?: NestApplicationOptions
  /** What the user's main.ts does between create() and listen(). */
  before?: (app: NestExpressApplication) => void
  /** Where deliveries arrive in this setup. */
  path?: string
}

// A gzip body (10 KiB inflating to 10 MiB): Nest's parser would inflate it and answer in its own
// format; the receiver refuses it from its Content-Encoding (401 without credentials, else 415).
const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 32))

const setups: Setup[] = [
  { name: 'the default body parser' },
  { name: 'rawBody: true', options: { rawBody: true } },
  { name: 'bodyParser: false', options: { bodyParser: false } },
  {
    name: 'app.useBodyParser(json, limit)',
    before: (app) => void app.useBodyParser('json', { limit: '5mb' }),
  },
  {
    name: 'express.json() given to app.use() in main.ts',
    options: { bodyParser: false },
    before: (app) => void app.use(express.json()),
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

describe('the module reads deliveries before any body parser Nest runs', () => {
  let app: NestExpressApplication | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  async function start(setup: Setup) {
    let calls = 0
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TEST_TOKEN] },
      logger: false,
    }).on('idn:identity-created', () => {
      calls++
    })
    const moduleRef = await Test.createTestingModule({
      imports: [TriggersModule.forRoot({ receiver }), OrdersModule],
    }).compile()
    app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false, ...setup.options })
    // A user's own middleware in main.ts, before listen(): it still sees deliveries.
    app.use((_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => {
      res.setHeader('x-user-middleware', 'ran')
      next()
    })
    setup.before?.(app)
    await app.init()
    const server = app.getHttpServer()
    const base = setup.path ?? '/isc/triggers'
    const post = (headers: Record<string, string>, body: string | Buffer) =>
      request(server)
        .post(`${base}/identity-created`)
        .set({ 'content-type': 'application/json', ...headers })
        .serialize((bytes) => bytes)
        .send(body)
    return { server, post, calls: () => calls }
  }

  it.each(setups)('$name', async (setup) => {
    const { post, calls } = await start(setup)
    const authorised = { authorization: bearer(TEST_TOKEN) }

    const unauthenticated = await post({ 'content-encoding': 'gzip' }, bomb)
    expect(unauthenticated.status).toBe(401)
    expect(unauthenticated.body.error.code).toBe('UNAUTHORIZED')
    const compressed = await post({ ...authorised, 'content-encoding': 'gzip' }, bomb)
    expect(compressed.status).toBe(415)
    expect(compressed.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    const malformed = await post(authorised, '{"identity":')
    expect(malformed.status).toBe(400)
    expect(malformed.body.error.code).toBe('INVALID_JSON')
    const delivered = await post(authorised, JSON.stringify(identityCreatedSample()))
    expect(delivered.status).toBe(200)
    expect(delivered.headers['x-user-middleware']).toBe('ran')
    expect(calls()).toBe(1)
  })

  it("keeps Nest's JSON parsing for the app's own routes", async () => {
    const { server } = await start(setups[0]!)
    const reply = await request(server).post('/orders').send({ id: 7 })
    expect(reply.status).toBe(201)
    expect(reply.body).toEqual({ received: { id: 7 } })
  })
})

describe("the module answers only what Express would route to the module's own routes", () => {
  let app: NestExpressApplication | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  async function start(path?: string) {
    const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false })
    receiver.on('idn:identity-created', () => {})
    // The user's modules first: Nest registers routes in import order, and Express runs the first match.
    const triggers = TriggersModule.forRoot(path === undefined ? { receiver } : { receiver, path })
    const moduleRef = await Test.createTestingModule({ imports: [UserRoutesModule, triggers] }).compile()
    app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false })
    await app.init()
    return app.getHttpServer()
  }
  const gzipBomb = (test: request.Test) =>
    test
      .set({ 'content-type': 'application/json', 'content-encoding': 'gzip' })
      .serialize((bytes) => bytes)
      .send(bomb)

  it.each(['', '/'])(
    "a root mount (path '%s') leaves GET /health and POST /other to their own routes",
    async (path) => {
      const server = await start(path)
      const health = await request(server).get('/health')
      expect(health.status).toBe(200)
      expect(health.body).toEqual({ ok: true })
      const other = await request(server).post('/other').send({ id: 7 })
      expect(other.status).toBe(201)
      expect(other.body).toEqual({ received: { id: 7 } })
      // Deliveries at the root are still read before the parser: refused before reading, not inflated.
      const unauthenticated = await gzipBomb(request(server).post('/identity-created'))
      expect(unauthenticated.status).toBe(401)
      expect(unauthenticated.body.error.code).toBe('UNAUTHORIZED')
      const delivered = await request(server)
        .post('/identity-created')
        .set('authorization', bearer(TEST_TOKEN))
        .send(identityCreatedSample())
      expect(delivered.status).toBe(200)
      const wrongMethod = await request(server).get('/identity-created')
      expect(wrongMethod.status).toBe(405)
      // GET /health does not take POST, so Express would route POST /health to the module: read first.
      const postHealth = await gzipBomb(request(server).post('/health'))
      expect(postHealth.status).toBe(401)
    },
  )

  it('leaves a route of another controller ending in /isc/triggers/:trigger to that controller', async () => {
    const server = await start()
    const reply = await request(server).post('/partner/isc/triggers/identity-created').send({ id: 7 })
    expect(reply.status).toBe(201)
    expect(reply.body).toEqual({ trigger: 'identity-created', received: { id: 7 } })
  })

  it('reads a delivery whose path differs only in letter case before the parser too', async () => {
    const server = await start()
    const reply = await gzipBomb(request(server).post('/ISC/Triggers/identity-created'))
    expect(reply.status).toBe(401)
    expect(reply.body.error.code).toBe('UNAUTHORIZED')
  })
})
