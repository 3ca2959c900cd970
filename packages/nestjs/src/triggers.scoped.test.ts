import 'reflect-metadata'
import type { TriggerContext, TriggerInput, TriggerReceiver } from '@isc-triggers/core'
import { sampleInput } from '@isc-triggers/testing'
import { bearer, TEST_TOKEN } from '@isc-triggers-internal/test-utils'
import {
  type INestApplicationContext,
  Inject,
  Injectable,
  type LoggerService,
  Module,
  Scope,
} from '@nestjs/common'
import { NestFactory, REQUEST } from '@nestjs/core'
import { Test } from '@nestjs/testing'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TRIGGER_RECEIVER } from './triggers.constants.js'
import { OnTrigger } from './triggers.decorators.js'
import { TriggersModule } from './triggers.module.js'

const auth = { type: 'bearer', tokens: [TEST_TOKEN] } as const

/** What the handlers saw, one line per delivery; a singleton, shared by every instance. */
@Injectable()
class Journal {
  readonly lines: string[] = []
  created = 0
}

/** A request-scoped dependency: REQUEST is the delivery's TriggerContext. */
@Injectable({ scope: Scope.REQUEST })
class DeliveryScope {
  constructor(@Inject(REQUEST) readonly ctx: TriggerContext) {}
}

@Injectable({ scope: Scope.REQUEST })
class RequestScopedHandlers {
  readonly serial: number
  constructor(
    @Inject(Journal) private readonly journal: Journal,
    @Inject(DeliveryScope) private readonly scope: DeliveryScope,
    @Inject(REQUEST) private readonly ctx: TriggerContext,
  ) {
    this.serial = ++journal.created
  }

  @OnTrigger('idn:identity-created')
  welcome(input: TriggerInput<'idn:identity-created'>, ctx: TriggerContext) {
    const same = this.ctx === ctx && this.scope.ctx === ctx
    this.journal.lines.push(
      `request #${this.serial} ${input.identity.name} ${ctx.trigger.id} same ctx: ${same}`,
    )
  }

  @OnTrigger('idn:access-request-pre-approval')
  decide(input: TriggerInput<'idn:access-request-pre-approval'>) {
    this.journal.lines.push(`request #${this.serial} decides ${input.accessRequestId}`)
    return { approved: true, comment: `instance ${this.serial}`, approver: 'svc-scoped' }
  }
}

/** Default scope, but it depends on a request-scoped provider: Nest makes it request-scoped too. */
@Injectable()
class ImplicitlyScopedHandlers {
  constructor(
    @Inject(Journal) private readonly journal: Journal,
    @Inject(DeliveryScope) private readonly scope: DeliveryScope,
  ) {}

  @OnTrigger('idn:identity-attributes-changed')
  changed(input: TriggerInput<'idn:identity-attributes-changed'>) {
    this.journal.lines.push(`implicit ${input.identity.name} ${this.scope.ctx.trigger.id}`)
  }
}

@Injectable({ scope: Scope.TRANSIENT })
class TransientHandlers {
  readonly serial: number
  constructor(@Inject(Journal) private readonly journal: Journal) {
    this.serial = ++journal.created
  }

  @OnTrigger('idn:identity-deleted')
  deleted(input: TriggerInput<'idn:identity-deleted'>) {
    this.journal.lines.push(`transient #${this.serial} ${input.identity.name}`)
  }
}

@Injectable({ scope: Scope.REQUEST })
class Unavailable {
  constructor() {
    throw new Error('database down')
  }
}
@Injectable({ scope: Scope.REQUEST })
class FailingHandlers {
  constructor(@Inject(Unavailable) readonly unavailable: Unavailable) {}

  @OnTrigger('idn:account-uncorrelated')
  uncorrelated() {}
}

const providers = [
  Journal,
  DeliveryScope,
  RequestScopedHandlers,
  ImplicitlyScopedHandlers,
  TransientHandlers,
  Unavailable,
  FailingHandlers,
]

describe('@OnTrigger on request-scoped and transient providers, over HTTP', () => {
  let app: Awaited<ReturnType<typeof boot>>
  async function boot() {
    const moduleRef = await Test.createTestingModule({
      imports: [TriggersModule.forRoot({ auth, logger: false })],
      providers,
    }).compile()
    const nest = moduleRef.createNestApplication({ logger: false })
    await nest.init()
    return nest
  }
  beforeEach(async () => {
    app = await boot()
  })
  afterEach(async () => {
    await app.close()
  })

  const post = (name: string, body: unknown) =>
    request(app.getHttpServer())
      .post(`/isc/triggers/${name}`)
      .set('authorization', bearer(TEST_TOKEN))
      .send(body as object)

  it('a request-scoped provider: one new instance per delivery, its request-scoped dependencies injected, REQUEST = the delivery context', async () => {
    const journal = app.get(Journal)
    const input = sampleInput('idn:identity-created')
    await post('identity-created', input).expect(200, {})
    await post('identity-created', input).expect(200, {})
    const decision = await post('access-request-pre-approval', sampleInput('idn:access-request-pre-approval'))
    expect(decision.status).toBe(200)
    expect(decision.body).toEqual({ approved: true, comment: 'instance 3', approver: 'svc-scoped' })
    expect(journal.lines).toEqual([
      'request #1 Ada Lovelace idn:identity-created same ctx: true',
      'request #2 Ada Lovelace idn:identity-created same ctx: true',
      `request #3 decides ${sampleInput('idn:access-request-pre-approval').accessRequestId}`,
    ])
    expect(journal.created).toBe(3)
  })

  it('a provider made request-scoped by a dependency is resolved per delivery too', async () => {
    const input = sampleInput('idn:identity-attributes-changed')
    await post('identity-attributes-changed', input).expect(200, {})
    expect(app.get(Journal).lines).toEqual([
      `implicit ${input.identity.name} idn:identity-attributes-changed`,
    ])
  })

  it('a transient provider: one new instance per delivery, with its dependencies', async () => {
    const journal = app.get(Journal)
    const created = journal.created // the module's own instance of it, made at bootstrap
    const input = sampleInput('idn:identity-deleted')
    await post('identity-deleted', input).expect(200, {})
    await post('identity-deleted', input).expect(200, {})
    expect(journal.lines).toEqual([
      `transient #${created + 1} ${input.identity.name}`,
      `transient #${created + 2} ${input.identity.name}`,
    ])
  })

  it('a provider that cannot be resolved fails the delivery loudly (500), never a 404', async () => {
    const reply = await post('account-uncorrelated', sampleInput('idn:account-uncorrelated'))
    expect(reply.status).toBe(500)
    expect(reply.body.error.code).toBe('HANDLER_FAILED')
    expect(reply.text).not.toContain('database down')
  })
})

describe('@OnTrigger on a request-scoped provider, in an application context (a worker: no HTTP request)', () => {
  it('runs with a new instance per delivery and REQUEST = the delivery context', async () => {
    @Module({ imports: [TriggersModule.forRoot({ auth, logger: false })], providers })
    class WorkerModule {}
    const context: INestApplicationContext = await NestFactory.createApplicationContext(WorkerModule, {
      logger: false,
      abortOnError: false,
    })
    try {
      const receiver = context.get<TriggerReceiver>(TRIGGER_RECEIVER)
      const deliver = () =>
        receiver.handle({
          method: 'POST',
          headers: { authorization: bearer(TEST_TOKEN) },
          body: JSON.stringify(sampleInput('idn:identity-created')),
          trigger: 'identity-created',
        })
      expect((await deliver()).status).toBe(200)
      expect((await deliver()).status).toBe(200)
      const journal = context.get(Journal)
      expect(journal.lines).toEqual([
        'request #1 Ada Lovelace idn:identity-created same ctx: true',
        'request #2 Ada Lovelace idn:identity-created same ctx: true',
      ])
    } finally {
      await context.close()
    }
  })
})

describe('a scoped factory provider whose token is not a class', () => {
  it('is named in a warning at bootstrap: its @OnTrigger() methods cannot be found', async () => {
    const warnings: unknown[][] = []
    const logger: LoggerService = {
      log() {},
      error() {},
      warn: (...args: unknown[]) => void warnings.push(args),
    }
    const moduleRef = await Test.createTestingModule({
      imports: [TriggersModule.forRoot({ auth, logger: false })],
      providers: [
        ...providers,
        { provide: 'TENANT_HANDLERS', scope: Scope.REQUEST, inject: [REQUEST], useFactory: () => ({}) },
        { provide: Symbol('audit handlers'), scope: Scope.TRANSIENT, useFactory: () => ({}) },
        // Neither is warned about: an alias (its target is found) and a class token.
        { provide: 'HANDLERS', useExisting: RequestScopedHandlers },
        {
          provide: DeliveryScope,
          scope: Scope.REQUEST,
          inject: [REQUEST],
          useFactory: (ctx: TriggerContext) => new DeliveryScope(ctx),
        },
      ],
    }).compile()
    const app = moduleRef.createNestApplication({ logger })
    try {
      await app.init()
    } finally {
      await app.close()
    }
    // Nest's own REQUEST and INQUIRER providers (request-scoped and transient factories) are not named.
    expect(warnings).toEqual([
      [expect.stringMatching(/^TENANT_HANDLERS .*@OnTrigger\(\) .*cannot be found/), 'TriggersModule'],
      [
        expect.stringMatching(/^Symbol\(audit handlers\) .*@OnTrigger\(\) .*cannot be found/),
        'TriggersModule',
      ],
    ])
  })
})
