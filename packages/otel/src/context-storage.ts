// Running code inside a span's context from a diagnostics channel needs OpenTelemetry's own
// AsyncLocalStorage: `channel.bindStore(storage, transform)` enters `transform(data)` in it around
// the traced work. OpenTelemetry does not expose it yet (open-telemetry/opentelemetry-js#6088), so
// it is read from the AsyncLocalStorageContextManager's private field, as Sentry does, and looked
// for again when it is missing (see the README: spans are still made without it, but a handler's
// own spans do not nest under the delivery span).
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Channel } from 'node:diagnostics_channel'
import { type Context, context } from '@opentelemetry/api'

/**
 * The AsyncLocalStorage behind the global context manager, or undefined when there is none
 * (no context manager registered, one that is not AsyncLocalStorage-based, or an OpenTelemetry
 * whose private fields changed).
 *
 * @example
 * const storage = findContextStorage()
 * if (storage) channel.start.bindStore(storage, (data) => trace.setSpan(context.active(), span))
 */
export function findContextStorage(): AsyncLocalStorage<Context> | undefined {
  try {
    const api = context as unknown as { _getContextManager?: () => unknown }
    const manager = api._getContextManager?.() as { _asyncLocalStorage?: unknown } | undefined
    const storage = manager?._asyncLocalStorage
    return storage instanceof AsyncLocalStorage ? (storage as AsyncLocalStorage<Context>) : undefined
  } catch {
    return undefined
  }
}

/**
 * Opens (or finds) an instrumentation's span for one traced context and returns the context to run
 * the traced work in: `parent` with that span.
 */
export type EnterSpan = (data: object, parent: Context) => Context

interface Binding {
  readonly channel: Channel
  readonly storage: AsyncLocalStorage<Context>
  readonly enters: EnterSpan[]
}

// A channel holds one transform per storage, so instrumentations that share OpenTelemetry's
// storage on a channel share one binding: each opens its own span (all children of the context
// active before the traced work), and the work runs in the last one's context. Disabling one
// leaves the others' binding in place. The list is process-wide (on globalThis), so the ESM and
// CommonJS copies of this package, both loaded in one process, share it too.
const BINDINGS = Symbol.for('@isc-triggers/otel:bindings')
const shared = globalThis as Record<symbol, Binding[] | undefined>
const bindings: Binding[] = shared[BINDINGS] ?? []
shared[BINDINGS] = bindings

function transformFor(enters: readonly EnterSpan[]): (data: unknown) => Context {
  return (data) => {
    const parent = context.active()
    let active = parent
    for (const enter of enters) active = enter(data as object, parent)
    return active
  }
}

/**
 * Adds `enter` to `channel`'s binding of `storage` (binding it on first use).
 *
 * @example
 * bindSpanStore(deliveryChannel.start, storage, enterDelivery)
 */
export function bindSpanStore(channel: Channel, storage: AsyncLocalStorage<Context>, enter: EnterSpan): void {
  let binding = bindings.find((b) => b.channel === channel && b.storage === storage)
  if (binding === undefined) {
    binding = { channel, storage, enters: [] }
    bindings.push(binding)
    channel.bindStore(storage as AsyncLocalStorage<unknown>, transformFor(binding.enters))
  }
  if (!binding.enters.includes(enter)) binding.enters.push(enter)
}

/**
 * Removes `enter` from `channel`'s binding of `storage`, and unbinds the storage once nothing uses it.
 *
 * @example
 * unbindSpanStore(deliveryChannel.start, storage, enterDelivery)
 */
export function unbindSpanStore(
  channel: Channel,
  storage: AsyncLocalStorage<Context>,
  enter: EnterSpan,
): void {
  const index = bindings.findIndex((b) => b.channel === channel && b.storage === storage)
  const binding = bindings[index]
  if (binding === undefined) return
  const at = binding.enters.indexOf(enter)
  if (at !== -1) binding.enters.splice(at, 1)
  if (binding.enters.length > 0) return
  bindings.splice(index, 1)
  channel.unbindStore(storage as AsyncLocalStorage<unknown>)
}
