import type { AnyTrigger, Catalog, HandlerOptions, TriggerHandler, TriggerId } from '@isc-triggers/core'
import { SetMetadata } from '@nestjs/common'
import { TRIGGER_HANDLER_METADATA } from './triggers.constants.js'

/** What `@OnTrigger()` records on a method. */
export interface TriggerHandlerMetadata {
  trigger: TriggerId | AnyTrigger
  options: object | undefined
}

type MethodDecoratorFor<T extends AnyTrigger> = <M extends TriggerHandler<T>>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void

/**
 * Marks a provider's method as the handler of a trigger. The method receives the validated input
 * and the context; a request-response handler's return value is the decision. The method's
 * signature is checked against the trigger's types. Found at bootstrap; one handler per trigger.
 *
 * @example
 * @Injectable()
 * export class AccessPolicy {
 *   @OnTrigger('idn:access-request-pre-approval', { mode: 'sync', timeoutMs: 5000 })
 *   decide(input: TriggerInput<'idn:access-request-pre-approval'>) {
 *     return { approved: true, comment: 'Within policy', approver: 'svc-access-policy' }
 *   }
 * }
 */
export function OnTrigger<Id extends TriggerId>(
  id: Id,
  options?: HandlerOptions<Catalog[Id]>,
): MethodDecoratorFor<Catalog[Id]>
export function OnTrigger<T extends AnyTrigger>(
  trigger: T,
  options?: HandlerOptions<T>,
): MethodDecoratorFor<T>
export function OnTrigger(trigger: TriggerId | AnyTrigger, options?: object): MethodDecorator {
  return SetMetadata<string, TriggerHandlerMetadata>(TRIGGER_HANDLER_METADATA, { trigger, options })
}
