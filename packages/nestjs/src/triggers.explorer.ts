import { TriggerConfigError, type TriggerReceiver } from '@isc-triggers/core'
import { Inject, Injectable, type InjectionToken, Logger, type OnModuleInit } from '@nestjs/common'
import { ContextIdFactory, DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core'
import { TRIGGER_HANDLER_METADATA, TRIGGER_RECEIVER } from './triggers.constants.js'
import type { TriggerHandlerMetadata } from './triggers.decorators.js'
import { MODULE_OPTIONS_TOKEN, type TriggersModuleOptions } from './triggers.module-definition.js'

type Method = (input: unknown, ctx: unknown) => unknown
const UNSEEN =
  '(a request-scoped or transient factory provider) has no instance before a delivery: if it has @OnTrigger() methods, they cannot be found and their triggers answer 404. Make its class the token, or list those triggers in requireHandlers (ignore this for a provider without handlers)'

/**
 * Finds `@OnTrigger()` methods on every provider at bootstrap and registers them with the receiver.
 * A provider that is request-scoped, transient, or depends on one is resolved anew for each
 * delivery, in a context of its own whose `REQUEST` is the delivery's `TriggerContext`. A scoped
 * factory provider whose token is not a class cannot be looked into before a delivery: it is
 * named in a warning.
 */
@Injectable()
export class TriggersExplorer implements OnModuleInit {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(TRIGGER_RECEIVER) private readonly receiver: TriggerReceiver,
    @Inject(MODULE_OPTIONS_TOKEN) private readonly options: TriggersModuleOptions,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    const handled = new Set<string>()
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance
      const scoped = !wrapper.isDependencyTreeStatic() || wrapper.isTransient
      // A scoped factory provider has no instance before a delivery: its class is its token.
      const type = scoped && typeof wrapper.token === 'function' ? wrapper.token : undefined
      const prototype: Record<string, unknown> | undefined =
        instance && typeof instance === 'object' ? Object.getPrototypeOf(instance) : type?.prototype
      if (!prototype) {
        // Not named: Nest's own REQUEST and INQUIRER, and an alias (its target is looked into).
        if (scoped && !wrapper.isAlias && !['REQUEST', 'INQUIRER'].includes(wrapper.token as string))
          Logger.warn(`${String(wrapper.token)} ${UNSEEN}`, 'TriggersModule')
        continue
      }
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = prototype[name] as Method
        const metadata: TriggerHandlerMetadata | undefined = Reflect.getMetadata(
          TRIGGER_HANDLER_METADATA,
          method,
        )
        if (!metadata) continue
        const { trigger, options } = metadata
        handled.add(typeof trigger === 'string' ? trigger : trigger.id)
        // A second handler for one trigger throws here: the application fails to start, saying which.
        const handler = scoped
          ? this.perDelivery(wrapper.token, name)
          : (input: unknown, ctx: unknown) => method.call(instance, input, ctx)
        this.receiver.on(trigger as never, handler as never, options as never)
      }
    }
    const missing = (this.options.requireHandlers ?? []).filter((id) => !handled.has(id)).join(', ')
    if (missing)
      throw new TriggerConfigError(`TriggersModule: no @OnTrigger() handler for ${missing} (requireHandlers)`)
  }

  /** The handler of a scoped provider: a new instance for each delivery (request-scoped dependencies too). */
  private perDelivery(token: InjectionToken, name: string): Method {
    return async (input, ctx) => {
      const contextId = ContextIdFactory.create()
      this.moduleRef.registerRequestByContextId(ctx, contextId)
      const instance = await this.moduleRef.resolve(token, contextId, { strict: false })
      return (instance[name] as Method).call(instance, input, ctx)
    }
  }
}
