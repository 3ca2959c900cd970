import { errorSummary } from '../errors.js'
import type { TellDelivery } from '../observability/delivery-trace.js'
import type { DeliveryEvent } from '../observability/hooks.js'
import type { TriggerLogger } from '../types.js'

function hookFailed(logger: TriggerLogger, event: DeliveryEvent, error: unknown): void {
  try {
    logger.error('An onDelivery hook failed; the reply was not changed', {
      trigger: event.trigger,
      invocationId: event.invocationId,
      error: errorSummary(error),
    })
  } catch {}
}

/**
 * Tells each `onDelivery` hook, in order, without letting one change anything: a throw or a
 * rejection is logged, the next hook is still told, and nothing waits for a returned promise.
 * Undefined without hooks (the delivery then needs no event).
 *
 * @example
 * const tell = tellDelivery([(event) => counter.add(1, { status: event.status })], logger)
 */
export function tellDelivery(
  hooks: readonly ((event: DeliveryEvent) => unknown)[] | undefined,
  logger: TriggerLogger,
): TellDelivery | undefined {
  if (hooks === undefined) return undefined
  return (event) => {
    for (const hook of hooks) {
      try {
        const told = hook(event)
        if (typeof (told as PromiseLike<unknown> | null)?.then === 'function')
          Promise.resolve(told).then(undefined, (error: unknown) => hookFailed(logger, event, error))
      } catch (error) {
        hookFailed(logger, event, error)
      }
    }
  }
}
