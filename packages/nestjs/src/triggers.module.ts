import { createTriggerReceiver, type TriggerReceiver } from '@isc-triggers/core'
import { Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common'
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core'
import { readBeforeBodyParsers } from './triggers.body-first.js'
import { TRIGGER_RECEIVER } from './triggers.constants.js'
import { TriggersController } from './triggers.controller.js'
import { TriggersExplorer } from './triggers.explorer.js'
import { answerBeforeFastifyParses } from './triggers.fastify.js'
import { TriggersGuard } from './triggers.guard.js'
import {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN,
  type TriggersModuleOptions,
} from './triggers.module-definition.js'

/**
 * Receives ISC triggers in a Nest application (Express or Fastify platform): POST `<path>/<trigger>`
 * under the global prefix, handled by `@OnTrigger()` methods of any provider.
 *
 * `forRoot(options)` takes the options now; `forRootAsync({ useFactory, inject, imports, path })`
 * takes them from a factory. `path` (default `isc/triggers`) is given to either method directly,
 * never from the factory, because routes are registered before any factory runs.
 *
 * @example
 * @Module({
 *   imports: [TriggersModule.forRoot({ path: 'isc/triggers', auth: { type: 'bearer', tokens: [process.env.ISC_TOKEN!] } })],
 *   providers: [AccessPolicy],
 * })
 * export class AppModule {}
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [TriggersController],
  providers: [
    {
      provide: TRIGGER_RECEIVER,
      useFactory: ({ requireHandlers: _, ...options }: TriggersModuleOptions) =>
        'receiver' in options ? options.receiver : createTriggerReceiver(options),
      inject: [MODULE_OPTIONS_TOKEN],
    },
    TriggersExplorer,
    TriggersGuard,
  ],
  exports: [TRIGGER_RECEIVER, TriggersGuard],
})
export class TriggersModule extends ConfigurableModuleClass implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(TRIGGER_RECEIVER) private readonly receiver: TriggerReceiver,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {
    super()
  }

  /**
   * Nest calls it (as `NestModule.configure`) before it registers routes: on Fastify, deliveries are
   * then read before Fastify's parser (answerBeforeFastifyParses).
   */
  configure(): void {
    const adapter = this.adapterHost.httpAdapter
    if (adapter?.getType() === 'fastify') answerBeforeFastifyParses(adapter.getInstance(), this.receiver)
  }

  /** Routes are registered by now: on Express, deliveries are read before Nest's body parser (readBeforeBodyParsers). */
  onModuleInit(): void {
    readBeforeBodyParsers(this.adapterHost.httpAdapter?.getInstance(), this.receiver)
  }

  /** Finishes in-flight deliveries and pending callbacks when the application shuts down. */
  async onApplicationShutdown(): Promise<void> {
    await this.receiver.close()
  }
}
