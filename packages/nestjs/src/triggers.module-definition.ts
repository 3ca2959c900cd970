import type { TriggerReceiver, TriggerReceiverOptions } from '@isc-triggers/core'
import { ConfigurableModuleBuilder } from '@nestjs/common'

/**
 * Options of `TriggersModule.forRoot()` / the factory of `forRootAsync()`: the receiver's options
 * (`auth`, `bodyLimit`, `completion`, ...), or a receiver you created yourself.
 */
export type TriggersModuleOptions = TriggerReceiverOptions | { receiver: TriggerReceiver }

/** Options fixed when the module is imported (routes are registered before any factory runs). */
export interface TriggersModuleExtras {
  /** Where deliveries arrive, under Nest's global prefix: POST `<path>/<trigger>`. Default `isc/triggers`. */
  path: string
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<TriggersModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras<TriggersModuleExtras>({ path: 'isc/triggers' }, (definition) => definition)
    .build()
