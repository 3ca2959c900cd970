import type { TriggerId, TriggerReceiver, TriggerReceiverOptions } from '@isc-triggers/core'
import { ConfigurableModuleBuilder, type DynamicModule } from '@nestjs/common'
import { RouterModule } from '@nestjs/core'

/**
 * Options of `TriggersModule.forRoot()` / the factory of `forRootAsync()`: the receiver's options
 * (`auth`, `bodyLimit`, `completion`, `queue`, ...), or a receiver you created yourself.
 *
 * @example
 * { auth: { type: 'bearer', tokens: [token] }, queue: bullmqQueue({ connection, sealKey }), requireHandlers: ['idn:access-request-pre-approval'] }
 */
export type TriggersModuleOptions = (TriggerReceiverOptions | { receiver: TriggerReceiver }) & {
  /**
   * Triggers this service must answer: bootstrap fails when one has no `@OnTrigger()` handler. List
   * the request-response triggers your ISC subscriptions send here, since an unanswered one fails
   * people's access requests.
   */
  requireHandlers?: readonly TriggerId[]
}

/** Options fixed when the module is imported (routes are registered before any factory runs). */
export interface TriggersModuleExtras {
  /** Where deliveries arrive, under Nest's global prefix: POST `<path>/<trigger>`. Default `isc/triggers`. */
  path: string
}

const DEFAULT_PATH = 'isc/triggers'

/** Mounts the module's controller at `extras.path` (a route registered with `RouterModule`). */
function mountAtPath(definition: DynamicModule, extras: TriggersModuleExtras): DynamicModule {
  // `forRoot({ path: undefined })` spreads the undefined over the default.
  const path = extras.path ?? DEFAULT_PATH
  const router = RouterModule.register([{ path, module: definition.module }])
  return { ...definition, imports: [...(definition.imports ?? []), router] }
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<TriggersModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras<TriggersModuleExtras>({ path: DEFAULT_PATH }, mountAtPath)
    .build()
