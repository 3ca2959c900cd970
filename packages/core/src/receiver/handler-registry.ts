import { createHandlerEntry, type HandlerEntry } from '../dispatch/handler-entry.js'
import { TriggerConfigError, TriggerError } from '../errors.js'
import { type Catalog, catalog } from '../schemas/catalog/index.js'
import { jsonObject } from '../schemas/catalog/refs.js'
import { type AnyTrigger, defineTrigger, shortName, TRIGGER_ID_PATTERN } from '../schemas/define-trigger.js'
import type { TriggerInvocation } from '../types.js'
import type { TriggerReceiverOptions } from './receiver-options.js'

/** Names what was asked for in a 404 without echoing arbitrary input. */
function label(requested: string): string {
  return TRIGGER_ID_PATTERN.test(requested) ? `"${requested}"` : 'the requested trigger'
}

/**
 * The receiver's handlers, found by full id (`idn:identity-created`) or by the name alone
 * (`identity-created`) when only one registered trigger has that name.
 *
 * @example
 * const handlers = new HandlerRegistry(undefined)
 * handlers.add('idn:identity-created', async () => {}, undefined)
 * handlers.resolve('identity-created').trigger.id // 'idn:identity-created'
 */
export class HandlerRegistry {
  readonly #byId = new Map<string, HandlerEntry>()
  /** `null` marks a name two registered triggers share: only their full ids resolve. */
  readonly #byName = new Map<string, HandlerEntry | null>()
  readonly #onUnknownTrigger: TriggerReceiverOptions['onUnknownTrigger']

  constructor(onUnknownTrigger: TriggerReceiverOptions['onUnknownTrigger']) {
    this.#onUnknownTrigger = onUnknownTrigger
  }

  /** Registers a handler of a catalog id or a `defineTrigger()` definition; one per trigger. */
  add(target: string | AnyTrigger, handler: unknown, options: object | undefined): void {
    const trigger = typeof target === 'string' ? catalog[target as keyof Catalog] : target
    if (!trigger)
      throw new TriggerConfigError(
        `on(${JSON.stringify(target)}): not a catalog trigger id; describe it with defineTrigger() and pass the definition`,
      )
    if (this.#byId.has(trigger.id))
      throw new TriggerConfigError(`on(${trigger.id}): a handler is already registered`)
    const entry = createHandlerEntry(trigger, handler, options)
    this.#byId.set(trigger.id, entry)
    const name = shortName(trigger.id)
    this.#byName.set(name, this.#byName.has(name) ? null : entry)
  }

  /**
   * The handler of the trigger a delivery asked for; `onUnknownTrigger` for an id the catalog does
   * not know (when set); else UNKNOWN_TRIGGER (404).
   */
  resolve(requested: string): HandlerEntry {
    const entry = this.#byId.get(requested) ?? this.#byName.get(requested)
    if (entry) return entry
    const known = requested in catalog || `idn:${requested}` in catalog
    if (!known && this.#onUnknownTrigger && TRIGGER_ID_PATTERN.test(requested)) {
      const trigger = defineTrigger({ id: requested, type: 'fire-and-forget', input: jsonObject })
      return createHandlerEntry(trigger, this.#onUnknownTrigger, undefined)
    }
    throw new TriggerError(
      'UNKNOWN_TRIGGER',
      known
        ? `No handler is registered for trigger ${label(requested)}`
        : `Unknown trigger ${label(requested)}`,
    )
  }

  /** The handler `_metadata.triggerId` names, for a delivery to the mount path itself. */
  resolveFromMetadata(invocation: TriggerInvocation | undefined): HandlerEntry {
    if (invocation?.triggerId) return this.resolve(invocation.triggerId)
    throw new TriggerError(
      'UNKNOWN_TRIGGER',
      'No trigger was named: deliver to <mount path>/<trigger> (e.g. /identity-created) or send _metadata.triggerId',
    )
  }
}
