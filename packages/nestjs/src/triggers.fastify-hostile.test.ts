import 'reflect-metadata'
import {
  createTriggerReceiver,
  type TriggerContext,
  type TriggerInput,
  type TriggerRejection,
} from '@isc-triggers/core'
import { sampleInput } from '@isc-triggers/testing'
import { bearer, createGate, identityCreatedSample, TEST_TOKEN } from '@isc-triggers-internal/test-utils'
import {
  Controller,
  type INestApplication,
  Inject,
  Injectable,
  Module,
  type NestApplicationOptions,
  Param,
  Post,
  RequestMethod,
  Scope,
} from '@nestjs/common'
import { REQUEST } from '@nestjs/core'
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import { Test } from '@nestjs/testing'
import express from 'express'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { OnTrigger } from './triggers.decorators.js'
import { TriggersModule } from './triggers.module.js'

// Hostile set-ups of a Nest application on Fastify: what a real main.ts does must not cost a
// delivery. ISC never redelivers a fire-and-forget event, so whatever is refused reaches onRejected.

const apps: INestApplication[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

interface Setup {
  options?: NestApplicationOptions
  /** What the user's main.ts does between create() and init(). */
  before?: (app: NestFastifyApplication) => void
  providers?: unknown[]
  /** Modules imported after TriggersModule. */
  imports?: unknown[]
  adapter?: FastifyAdapter
  /** The receiver's bodyLimit. */
  bodyLimit?: number
}

async function start(setup: Setup = {}) {
  const calls: unknown[] = []
  const rejected: TriggerRejection[] = []
  const receiver = createTriggerReceiver({
    auth: { type: 'bearer', tokens: [TEST_TOKEN] },
    logger: false,
    ...(setup.bodyLimit === undefined ? {} : { bodyLimit: setup.bodyLimit }),
    onRejected: (rejection) => void rejected.push(rejection),
  }).on('idn:identity-created', (input) => {
    calls.push(input)
  })
  const moduleRef = await Test.createTestingModule({
    imports: [TriggersModule.forRoot({ receiver }), ...((setup.imports ?? []) as never[])],
    providers: (setup.providers ?? []) as never[],
  }).compile()
  const app = moduleRef.createNestApplication<NestFastifyApplication>(setup.adapter ?? new FastifyAdapter(), {
    logger: false,
    ...setup.options,
  })
  apps.push(app)
  setup.before?.(app)
  await app.init()
  await app.getHttpAdapter().getInstance().ready()
  const server = app.getHttpServer()
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    request(server)
      .post(path)
      .set({ 'content-type': 'application/json', authorization: bearer(TEST_TOKEN), ...headers })
      .send(body)
  return { app, post, calls, rejected }
}

const delivery = identityCreatedSample()
const body = JSON.stringify(delivery)

describe("bodies Fastify's parsers would take are the receiver's", () => {
  it.each([
    ['application/x-www-form-urlencoded (Nest registers Fastify formbody)', 'identity=1'],
    ['text/plain', body],
    ['json (not a media type: Fastify would answer 415 itself)', body],
  ])('%s → the receiver’s 415, onRejected with the body', async (contentType, sent) => {
    const { post, rejected } = await start()
    const reply = await post('/isc/triggers/identity-created', sent, {
      'content-type': contentType.split(' ')[0] as string,
    })
    expect([reply.status, reply.body.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE'])
    expect(rejected.map((rejection) => Buffer.from(rejection.body).toString())).toEqual([sent])
  })

  it("rawBody: true and a body over Fastify's bodyLimit, within the receiver's: delivered", async () => {
    const { post, calls } = await start({ options: { rawBody: true }, bodyLimit: 4 * 1024 * 1024 })
    const large = {
      ...delivery,
      attributes: { ...delivery.attributes, padding: 'x'.repeat(2 * 1024 * 1024) },
    }
    const reply = await post('/isc/triggers/identity-created', JSON.stringify(large))
    expect([reply.status, reply.body]).toEqual([200, {}])
    expect(calls).toEqual([large])
  })

  it('Express body-parser middleware given to app.use() (read before the route, as on Express): delivered', async () => {
    const { post, calls } = await start({ before: (app) => void app.use(express.json()) })
    const reply = await post('/isc/triggers/identity-created', body)
    expect([reply.status, reply.body]).toEqual([200, {}])
    expect(calls).toEqual([delivery])
  })
})

describe('a global prefix the module path is excluded from', () => {
  it.each([
    ['<path> and <path>/:trigger', ['isc/triggers', 'isc/triggers/:trigger']],
    ['<path>/:trigger only', ['isc/triggers/:trigger']],
    ['a wildcard', ['isc/triggers/*path']],
  ])(
    '%s: deliveries there are read by the receiver, refusals in its format and seen by onRejected',
    async (_name, paths) => {
      const exclude = paths.map((path) => ({ path, method: RequestMethod.ALL }))
      const { post, calls, rejected } = await start({
        before: (app) => void app.setGlobalPrefix('api', { exclude }),
      })
      const malformed = await post('/isc/triggers/identity-created', '{"identity":')
      expect([malformed.status, malformed.body]).toEqual([
        400,
        { error: { code: 'INVALID_JSON', message: expect.any(String) } },
      ])
      expect(rejected.map((rejection) => rejection.code)).toEqual(['INVALID_JSON'])
      const delivered = await post('/isc/triggers/identity-created', body)
      expect([delivered.status, delivered.body]).toEqual([200, {}])
      expect(calls).toEqual([delivery])
    },
  )
})

@Controller('partner')
class PartnerController {
  @Post(':trigger')
  receive(@Param('trigger') trigger: string) {
    return { partner: trigger }
  }
}
/** A user's `…/:trigger` route, registered right after the module's routes. */
@Module({ controllers: [PartnerController] })
class PartnerModule {}

describe("an adapter that shows the module's mark on <path>/:trigger too (no wrapped parameter routes)", () => {
  it("the module's routes are the receiver's; a user's …/:trigger route registered next stays the user's", async () => {
    let unwrapped = 0
    // Nest's FastifyAdapter wraps the handler of a route with a parameter (hiding the mark); this
    // one hands Fastify the handler itself, as a plugin or a later Nest may.
    const adapter = Object.assign(new FastifyAdapter(), {
      requireNonEmptyParams: (_url: unknown, handler: unknown) => {
        unwrapped++
        return handler
      },
    })
    const { post, calls, rejected } = await start({ adapter, imports: [PartnerModule] })
    expect(unwrapped).toBeGreaterThan(0)
    const partner = await post('/partner/x', '{}', { authorization: '' })
    expect([partner.status, partner.body]).toEqual([201, { partner: 'x' }])
    const malformed = await post('/isc/triggers/identity-created', '{"identity":')
    expect([malformed.status, malformed.body.error?.code]).toEqual([400, 'INVALID_JSON'])
    expect(rejected.map((rejection) => rejection.code)).toEqual(['INVALID_JSON'])
    const delivered = await post('/isc/triggers/identity-created', body)
    expect([delivered.status, delivered.body]).toEqual([200, {}])
    expect(calls).toEqual([delivery])
  })
})

/** A singleton every scoped instance reports to. */
@Injectable()
class Journal {
  readonly lines: string[] = []
  created = 0
}
const held: Record<string, ReturnType<typeof createGate>> = {}

@Injectable({ scope: Scope.REQUEST })
class ScopedHandlers {
  readonly serial: number
  constructor(
    @Inject(REQUEST) private readonly ctx: TriggerContext,
    @Inject(Journal) private readonly journal: Journal,
  ) {
    this.serial = ++journal.created
  }
  @OnTrigger('idn:identity-attributes-changed')
  async changed(input: TriggerInput<'idn:identity-attributes-changed'>, ctx: TriggerContext) {
    await held[input.identity.name]?.promise
    this.journal.lines.push(`#${this.serial} ${input.identity.name} own ctx: ${this.ctx === ctx}`)
  }
}

/** Made by a factory that needs REQUEST: request-scoped, and no instance exists before a delivery. */
class FactoryHandlers {
  constructor(
    private readonly ctx: TriggerContext,
    private readonly journal: Journal,
  ) {}
  @OnTrigger('idn:identity-deleted')
  deleted(input: TriggerInput<'idn:identity-deleted'>, ctx: TriggerContext) {
    this.journal.lines.push(`factory ${input.identity.name} own ctx: ${this.ctx === ctx}`)
  }
}
const factoryProvider = {
  provide: FactoryHandlers,
  scope: Scope.REQUEST,
  inject: [REQUEST, Journal],
  useFactory: (ctx: TriggerContext, journal: Journal) => new FactoryHandlers(ctx, journal),
}

describe('request-scoped handlers on Fastify', () => {
  const send = (app: INestApplication, name: string, input: unknown) =>
    request(app.getHttpServer())
      .post(`/isc/triggers/${name}`)
      .set({ authorization: bearer(TEST_TOKEN) })
      .send(input as object)

  it('two deliveries at once: an instance each, each with its own REQUEST', async () => {
    const { app } = await start({ providers: [Journal, ScopedHandlers] })
    const first = sampleInput('idn:identity-attributes-changed')
    const second = { ...first, identity: { ...first.identity, name: 'Grace Hopper' } }
    held[first.identity.name] = createGate()
    held[second.identity.name] = createGate()
    // supertest sends once awaited: then() starts both now.
    const replies = [first, second].map((input) =>
      send(app, 'identity-attributes-changed', input).then((reply) => reply.status),
    )
    const journal = app.get(Journal)
    // Both are running once both instances exist; the second is released first.
    await new Promise<void>((resolve) => {
      const check = () => (journal.created === 2 ? resolve() : setImmediate(check))
      check()
    })
    held[second.identity.name]?.open()
    held[first.identity.name]?.open()
    expect(await Promise.all(replies)).toEqual([200, 200])
    // Which one arrived first (#1) is the network's choice; each had an instance of its own.
    expect(new Set(journal.lines.map((line) => line.split(' ')[0]))).toEqual(new Set(['#1', '#2']))
    expect(journal.lines.map((line) => line.replace(/^#\d /, '')).sort()).toEqual(
      [`${first.identity.name} own ctx: true`, `${second.identity.name} own ctx: true`].sort(),
    )
  })

  it.each(['express', 'fastify'])(
    'a request-scoped factory provider (its token a class) is resolved per delivery, never a 404 (%s)',
    async (platform) => {
      const moduleRef = await Test.createTestingModule({
        imports: [TriggersModule.forRoot({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false })],
        providers: [Journal, factoryProvider],
      }).compile()
      const app =
        platform === 'fastify'
          ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false })
          : moduleRef.createNestApplication({ logger: false })
      apps.push(app)
      await app.init()
      if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready()
      const input = sampleInput('idn:identity-deleted')
      const reply = await send(app, 'identity-deleted', input)
      expect([reply.status, reply.body]).toEqual([200, {}])
      expect(app.get(Journal).lines).toEqual([`factory ${input.identity.name} own ctx: true`])
    },
  )
})
