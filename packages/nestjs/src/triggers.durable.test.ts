import 'reflect-metadata'
import { randomUUID } from 'node:crypto'
import { bullmqQueue, startTriggerWorker, type TriggerWorker } from '@isc-triggers/bullmq'
import type { TriggerContext, TriggerInput, TriggerReceiver } from '@isc-triggers/core'
import { type FakeIsc, sampleInput, startFakeIsc } from '@isc-triggers/testing'
import { bearer, TEST_TOKEN } from '@isc-triggers-internal/test-utils'
import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  type INestApplication,
  type INestApplicationContext,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  Scope,
} from '@nestjs/common'
import { NestFactory, REQUEST } from '@nestjs/core'
import { Queue } from 'bullmq'
import request from 'supertest'
import { afterEach, beforeEach, expect, it } from 'vitest'
import {
  connection,
  describeWithRedis,
  TEST_SEAL_KEY,
  uniqueQueueName,
} from '../../bullmq/src/redis.test-helper.js'
import { TRIGGER_RECEIVER } from './triggers.constants.js'
import { OnTrigger } from './triggers.decorators.js'
import { TriggersModule } from './triggers.module.js'

const auth = { type: 'bearer', tokens: [TEST_TOKEN] } as const
const decision = { approved: true, comment: 'decided by a worker', approver: 'svc-worker' }
/** Which application ran what: `<role> <handler>`. Web app and worker share this process. */
const ran: string[] = []
const ROLE = Symbol('role')
/** Holds the ASYNC handler until released (released unless a test holds it). */
let gate = { promise: Promise.resolve(), release: () => {} }
function holdGate() {
  let release = () => {}
  const promise = new Promise<void>((resolve) => {
    release = resolve
  })
  gate = { promise, release }
}

@Injectable()
class Handlers {
  constructor(@Inject(ROLE) private readonly role: string) {}

  @OnTrigger('idn:identity-created')
  async welcome(input: TriggerInput<'idn:identity-created'>) {
    ran.push(`${this.role} welcome ${input.identity.id}`)
  }

  @OnTrigger('idn:access-request-pre-approval', { mode: 'async' })
  async decide(_input: TriggerInput<'idn:access-request-pre-approval'>, ctx: TriggerContext) {
    ran.push(`${this.role} decide ${ctx.invocation?.invocationId}`)
    await gate.promise
    return decision
  }

  @OnTrigger('idn:identity-attributes-changed', { queue: false })
  inline(input: TriggerInput<'idn:identity-attributes-changed'>) {
    ran.push(`${this.role} inline ${input.identity.id}`)
  }
}

/** A request-scoped provider: a new instance for each job a worker runs, REQUEST = the job's delivery context. */
let scopedInstances = 0
@Injectable({ scope: Scope.REQUEST })
class ScopedHandlers {
  readonly serial = ++scopedInstances
  constructor(
    @Inject(ROLE) private readonly role: string,
    @Inject(REQUEST) private readonly ctx: TriggerContext,
  ) {}

  @OnTrigger('idn:identity-deleted')
  deleted(input: TriggerInput<'idn:identity-deleted'>, ctx: TriggerContext) {
    ran.push(`${this.role} scoped ${input.identity.id} REQUEST is ctx: ${this.ctx === ctx}`)
  }
}

/** The README's worker in the web application: started at bootstrap, closed before the receiver. */
@Injectable()
class TriggerWorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  worker: TriggerWorker | undefined
  constructor(@Inject(TRIGGER_RECEIVER) private readonly receiver: TriggerReceiver) {}
  onApplicationBootstrap() {
    this.worker = startTriggerWorker(this.receiver, { concurrency: 2 })
  }
  async beforeApplicationShutdown() {
    await this.worker?.close()
  }
}

describeWithRedis('TriggersModule with a queue (durable delivery on BullMQ)', () => {
  let isc: FakeIsc
  let name: string
  const contexts: INestApplicationContext[] = []
  const workers: TriggerWorker[] = []

  /** What each process imports: its own module instance, as two processes would evaluate AppModule. */
  function appModule(role: string, { factory = false, extra = [] as unknown[] } = {}): DynamicModule {
    @Module({})
    class AppModule {}
    const options = () => ({
      auth,
      logger: false as const,
      completion: { allowedCallbackOrigins: [isc.origin] },
      queue: bullmqQueue({ connection: connection(), name, sealKey: TEST_SEAL_KEY }),
    })
    return {
      module: AppModule,
      imports: [
        factory ? TriggersModule.forRootAsync({ useFactory: options }) : TriggersModule.forRoot(options()),
      ],
      providers: [Handlers, ScopedHandlers, { provide: ROLE, useValue: role }, ...(extra as never[])],
    }
  }

  async function webApp(module: DynamicModule) {
    const app = await NestFactory.create(module, { logger: false, abortOnError: false })
    contexts.push(app)
    await app.init()
    return app
  }

  /** A worker process: an application context (no HTTP server) and startTriggerWorker. */
  async function workerProcess(module = appModule('worker')) {
    const context = await NestFactory.createApplicationContext(module, {
      logger: false,
      abortOnError: false,
    })
    contexts.push(context)
    workers.push(startTriggerWorker(context.get<TriggerReceiver>(TRIGGER_RECEIVER), { concurrency: 2 }))
  }

  /** An ASYNC delivery over HTTP, as ISC sends it; the web app must answer 200 {}. */
  async function deliverAsync(web: INestApplication): Promise<string> {
    const invocationId = randomUUID()
    const _metadata = {
      callbackURL: isc.callbackURL(invocationId),
      secret: 'nest-async-secret',
      triggerId: 'idn:access-request-pre-approval',
      triggerType: 'requestResponse',
      responseMode: 'async',
    }
    await request(web.getHttpServer())
      .post('/isc/triggers/access-request-pre-approval')
      .set('authorization', bearer(TEST_TOKEN))
      .send({ ...sampleInput('idn:access-request-pre-approval'), _metadata })
      .expect(200, {})
    return invocationId
  }

  async function jobCounts() {
    const queue = new Queue(name, { connection: connection() })
    try {
      return await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')
    } finally {
      await queue.close()
    }
  }

  beforeEach(async () => {
    ran.length = 0
    name = uniqueQueueName()
    isc = await startFakeIsc()
  })

  afterEach(async () => {
    gate.release()
    // The documented order: workers finish their jobs, then the applications close their receivers.
    for (const worker of workers.splice(0)) await worker.close()
    for (const context of contexts.splice(0)) await context.close()
    const queue = new Queue(name, { connection: connection() })
    await queue.obliterate({ force: true })
    await queue.close()
    await isc.close()
  })

  it('the web app answers 200 once a fire-and-forget delivery is stored; a worker process runs the @OnTrigger method', async () => {
    const web = await webApp(appModule('web'))
    const input = sampleInput('idn:identity-created')
    await request(web.getHttpServer())
      .post('/isc/triggers/identity-created')
      .set('authorization', bearer(TEST_TOKEN))
      .send(input)
      .expect(200, {})
    expect(await jobCounts()).toMatchObject({ waiting: 1 })
    expect(ran).toEqual([]) // stored, not run in the web app
    await workerProcess()
    await expect.poll(() => ran, { timeout: 30_000 }).toEqual([`worker welcome ${input.identity.id}`])
    await expect.poll(async () => (await jobCounts()).completed, { timeout: 30_000 }).toBe(1)
  })

  it('a request-scoped @OnTrigger provider runs in the worker process, a new instance for each job', async () => {
    const web = await webApp(appModule('web'))
    const ids = ['deleted-1', 'deleted-2']
    for (const id of ids) {
      const input = sampleInput('idn:identity-deleted')
      await request(web.getHttpServer())
        .post('/isc/triggers/identity-deleted')
        .set('authorization', bearer(TEST_TOKEN))
        .send({ ...input, identity: { ...input.identity, id } })
        .expect(200, {})
    }
    const before = scopedInstances
    await workerProcess()
    await expect.poll(() => ran.length, { timeout: 30_000 }).toBe(2)
    expect([...ran].sort()).toEqual(ids.map((id) => `worker scoped ${id} REQUEST is ctx: true`))
    expect(scopedInstances - before).toBe(2)
  })

  it('ASYNC (forRootAsync): the web app answers 200 {}; the worker process decides and completes at the fake ISC', async () => {
    const web = await webApp(appModule('web', { factory: true }))
    const invocationId = await deliverAsync(web)
    expect(ran).toEqual([])
    await workerProcess(appModule('worker', { factory: true }))
    const completion = await isc.waitForCompletion(invocationId, 30_000)
    expect(completion.body).toEqual({ secret: 'nest-async-secret', output: decision })
    expect(ran).toEqual([`worker decide ${invocationId}`])
  })

  it('@OnTrigger(..., { queue: false }) runs in the web app, and nothing is stored', async () => {
    const web = await webApp(appModule('web'))
    const input = sampleInput('idn:identity-attributes-changed')
    await request(web.getHttpServer())
      .post('/isc/triggers/identity-attributes-changed')
      .set('authorization', bearer(TEST_TOKEN))
      .send(input)
      .expect(200, {})
    await expect.poll(() => ran, { timeout: 30_000 }).toEqual([`web inline ${input.identity.id}`])
    expect(await jobCounts()).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 })
  })

  it('a worker in the web app (a provider with lifecycle hooks) runs the handlers; app.close() closes it once its running job is done', async () => {
    const web = await webApp(appModule('web', { extra: [TriggerWorkerHost] }))
    const input = sampleInput('idn:identity-created')
    await request(web.getHttpServer())
      .post('/isc/triggers/identity-created')
      .set('authorization', bearer(TEST_TOKEN))
      .send(input)
      .expect(200, {})
    await expect.poll(() => ran, { timeout: 30_000 }).toEqual([`web welcome ${input.identity.id}`])
    holdGate()
    const invocationId = await deliverAsync(web)
    await expect.poll(() => ran, { timeout: 30_000 }).toContain(`web decide ${invocationId}`)
    const worker = web.get(TriggerWorkerHost).worker
    contexts.length = 0
    // app.close() closes the worker (beforeApplicationShutdown), which waits for the held job.
    const closing = web.close()
    gate.release()
    await closing
    expect(worker?.worker.isRunning()).toBe(false)
    const completion = await isc.waitForCompletion(invocationId, 30_000)
    expect(completion.body).toEqual({ secret: 'nest-async-secret', output: decision })
  })
})
