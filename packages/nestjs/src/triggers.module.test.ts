import 'reflect-metadata'
import {
  defineTrigger,
  type TriggerContext,
  type TriggerInput,
  type TriggerReceiver,
} from '@isc-triggers/core'
import { handleNodeRequest } from '@isc-triggers/core/node'
import { sampleInput } from '@isc-triggers/testing'
import { bearer, TEST_TOKEN } from '@isc-triggers-internal/test-utils'
import {
  Controller,
  type INestApplication,
  Inject,
  Injectable,
  Module,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { Test } from '@nestjs/testing'
import type { Request, Response } from 'express'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { TRIGGER_RECEIVER } from './triggers.constants.js'
import { OnTrigger } from './triggers.decorators.js'
import { TriggersGuard } from './triggers.guard.js'
import { TriggersModule } from './triggers.module.js'

const auth = { type: 'bearer', tokens: [TEST_TOKEN] } as const

/** A dependency injected by type: catches a regression of emitted decorator metadata. */
@Injectable()
class Journal {
  readonly entries: string[] = []
}

const badgeIssued = defineTrigger({
  id: 'acme:badge-issued',
  type: 'fire-and-forget',
  input: z.looseObject({ badge: z.string() }),
})

@Injectable()
class IdentityHandlers {
  constructor(private readonly journal: Journal) {}

  @OnTrigger('idn:identity-created')
  async welcome(input: TriggerInput<'idn:identity-created'>, ctx: TriggerContext) {
    this.journal.entries.push(`welcome ${input.identity.name} via ${ctx.trigger.id}`)
  }

  @OnTrigger('idn:access-request-pre-approval', { timeoutMs: 5000 })
  decide(input: TriggerInput<'idn:access-request-pre-approval'>) {
    this.journal.entries.push(`decide ${input.accessRequestId}`)
    return { approved: true, comment: 'Within policy', approver: 'svc-access-policy' }
  }

  @OnTrigger(badgeIssued)
  badge(input: { badge: string }) {
    this.journal.entries.push(`badge ${input.badge}`)
  }

  notAHandler() {
    return 'ignored'
  }
}

const apps: INestApplication[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

async function boot(imports: unknown[], providers: unknown[] = [], controllers: unknown[] = []) {
  const moduleRef = await Test.createTestingModule({
    imports: imports as never[],
    providers: providers as never[],
    controllers: controllers as never[],
  }).compile()
  const app = moduleRef.createNestApplication({ logger: false })
  apps.push(app)
  await app.init()
  return app
}

const post = (app: INestApplication, path: string, body: unknown, token = TEST_TOKEN) =>
  request(app.getHttpServer())
    .post(path)
    .set('authorization', bearer(token))
    .send(body as object)

describe('TriggersModule', () => {
  it('routes deliveries to @OnTrigger methods of any provider, with their dependencies injected by type', async () => {
    const app = await boot([TriggersModule.forRoot({ auth, logger: false })], [Journal, IdentityHandlers])
    const journal = app.get(Journal)
    await post(app, '/isc/triggers/identity-created', sampleInput('idn:identity-created')).expect(200, {})
    const decision = await post(
      app,
      '/isc/triggers/access-request-pre-approval',
      sampleInput('idn:access-request-pre-approval'),
    )
    expect(decision.status).toBe(200)
    expect(decision.body).toEqual({ approved: true, comment: 'Within policy', approver: 'svc-access-policy' })
    await post(app, '/isc/triggers/acme:badge-issued', { badge: 'B-7' }).expect(200)
    await post(app, '/isc/triggers/identity-created', sampleInput('idn:identity-created'), 'wrong').expect(
      401,
    )
    expect(journal.entries).toEqual([
      'welcome Ada Lovelace via idn:identity-created',
      'decide 4b4d982dddff4267ab12f0f1e72b5a6d',
      'badge B-7',
    ])
    expect(Reflect.getMetadata('design:paramtypes', IdentityHandlers)).toEqual([Journal])
  })

  it('forRootAsync takes the options from a factory with injected dependencies, at a custom path', async () => {
    const SETTINGS = Symbol('settings')
    @Module({ providers: [{ provide: SETTINGS, useValue: { token: TEST_TOKEN } }], exports: [SETTINGS] })
    class SettingsModule {}
    const app = await boot(
      [
        TriggersModule.forRootAsync({
          imports: [SettingsModule],
          inject: [SETTINGS],
          useFactory: (settings: { token: string }) => ({
            auth: { type: 'bearer', tokens: [settings.token] },
            logger: false,
          }),
          path: 'hooks/isc',
        }),
      ],
      [Journal, IdentityHandlers],
    )
    await post(app, '/hooks/isc/identity-created', sampleInput('idn:identity-created')).expect(200)
    expect(app.get(Journal).entries).toHaveLength(1)
  })

  it('forRootAsync without a path mounts at isc/triggers', async () => {
    const app = await boot(
      [TriggersModule.forRootAsync({ useFactory: () => ({ auth, logger: false }) })],
      [Journal, IdentityHandlers],
    )
    await post(app, '/isc/triggers/identity-created', sampleInput('idn:identity-created')).expect(200)
    expect(app.get(Journal).entries).toHaveLength(1)
  })

  it('fails at bootstrap, naming the trigger, when two methods handle one trigger', async () => {
    @Injectable()
    class Duplicate {
      @OnTrigger('idn:identity-created')
      again() {}
    }
    await expect(
      boot([TriggersModule.forRoot({ auth, logger: false })], [Journal, IdentityHandlers, Duplicate]),
    ).rejects.toThrow(/idn:identity-created.*already registered/)
  })

  it('fails at bootstrap when a required (request-response) trigger has no handler, and serves when each has one', async () => {
    await expect(
      boot(
        [
          TriggersModule.forRoot({
            auth,
            logger: false,
            requireHandlers: ['idn:access-request-pre-approval', 'idn:access-request-dynamic-approver'],
          }),
        ],
        [Journal, IdentityHandlers],
      ),
    ).rejects.toThrow(/no @OnTrigger\(\) handler for idn:access-request-dynamic-approver \(requireHandlers\)/)
    const app = await boot(
      [TriggersModule.forRoot({ auth, logger: false, requireHandlers: ['idn:access-request-pre-approval'] })],
      [Journal, IdentityHandlers],
    )
    const decision = await post(
      app,
      '/isc/triggers/access-request-pre-approval',
      sampleInput('idn:access-request-pre-approval'),
    )
    expect(decision.body).toMatchObject({ approved: true })
  })

  it('exports the receiver, and a guard for a controller of your own', async () => {
    @Controller('custom')
    class OwnController {
      constructor(@Inject(TRIGGER_RECEIVER) private readonly receiver: TriggerReceiver) {}

      @Post(':trigger')
      @UseGuards(TriggersGuard)
      receive(@Req() req: Request, @Res() res: Response, @Param('trigger') trigger: string) {
        return handleNodeRequest(this.receiver, req, res, { trigger })
      }
    }
    const app = await boot(
      [TriggersModule.forRoot({ auth, logger: false })],
      [Journal, IdentityHandlers],
      [OwnController],
    )
    const denied = await post(app, '/custom/identity-created', sampleInput('idn:identity-created'), 'wrong')
    expect(denied.status).toBe(401)
    expect(app.get(Journal).entries).toHaveLength(0)
    await post(app, '/custom/identity-created', sampleInput('idn:identity-created')).expect(200)
    expect(app.get(Journal).entries).toHaveLength(1)
  })

  it('registers the @OnTrigger methods in an application context without HTTP (a worker process)', async () => {
    @Module({
      imports: [TriggersModule.forRoot({ auth, logger: false })],
      providers: [Journal, IdentityHandlers],
    })
    class WorkerModule {}
    const context = await NestFactory.createApplicationContext(WorkerModule, {
      logger: false,
      abortOnError: false,
    })
    try {
      const reply = await context.get<TriggerReceiver>(TRIGGER_RECEIVER).handle({
        method: 'POST',
        headers: { authorization: bearer(TEST_TOKEN) },
        body: JSON.stringify(sampleInput('idn:identity-created')),
        trigger: 'identity-created',
      })
      expect(reply.status).toBe(200)
      expect(context.get(Journal).entries).toEqual(['welcome Ada Lovelace via idn:identity-created'])
    } finally {
      await context.close()
    }
  })

  it('closes the receiver when the application shuts down: later deliveries get 503', async () => {
    const app = await boot([TriggersModule.forRoot({ auth, logger: false })], [Journal, IdentityHandlers])
    const receiver = app.get<TriggerReceiver>(TRIGGER_RECEIVER)
    await app.close()
    apps.length = 0
    const reply = await receiver.handle({
      method: 'POST',
      headers: { authorization: bearer(TEST_TOKEN) },
      body: JSON.stringify(sampleInput('idn:identity-created')),
      trigger: 'identity-created',
    })
    expect(reply.status).toBe(503)
  })
})
