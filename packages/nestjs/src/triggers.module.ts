import { createTriggerReceiver, type TriggerReceiver } from '@isc-triggers/core'
import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common'
import { DiscoveryModule, RouterModule } from '@nestjs/core'
import { TRIGGER_RECEIVER } from './triggers.constants.js'
import { TriggersController } from './triggers.controller.js'
import { TriggersExplorer } from './triggers.explorer.js'
import { TriggersGuard } from './triggers.guard.js'
import {
  type ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN,
  type OPTIONS_TYPE,
  type TriggersModuleOptions,
} from './triggers.module-definition.js'

/**
 * Receives ISC triggers in a Nest application (Express platform): POST `<path>/<trigger>` under the
 * global prefix, handled by `@OnTrigger()` methods of any provider.
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
export class TriggersModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(@Inject(TRIGGER_RECEIVER) private readonly receiver: TriggerReceiver) {
    super()
  }

  /** With options known now. `path` defaults to `isc/triggers`. */
  static override forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: `super` is required; the builder's forRoot uses `this` as the module class
    return TriggersModule.mounted(super.forRoot(options), options.path)
  }

  /** With options from a factory (`useFactory`, `inject`, `imports`); `path` must be given here. */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: `super` is required; the builder's forRootAsync uses `this` as the module class
    return TriggersModule.mounted(super.forRootAsync(options), options.path)
  }

  private static mounted(module: DynamicModule, path = 'isc/triggers'): DynamicModule {
    const router = RouterModule.register([{ path, module: TriggersModule }])
    return { ...module, imports: [...(module.imports ?? []), router] }
  }

  /** Finishes in-flight deliveries and pending callbacks when the application shuts down. */
  async onApplicationShutdown(): Promise<void> {
    await this.receiver.close()
  }
}
