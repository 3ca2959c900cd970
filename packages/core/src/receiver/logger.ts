import { TriggerConfigError } from '../errors.js'
import type { TriggerLogger } from '../types.js'

const consoleLogger: TriggerLogger = {
  error: (message, details) => console.error(`[isc-triggers] ${message}`, details ?? ''),
  warn: (message, details) => console.warn(`[isc-triggers] ${message}`, details ?? ''),
}
const silentLogger: TriggerLogger = { error() {}, warn() {} }

/**
 * True for a logger that takes its fields first, `logger.error(fields, message)`: pino (it has
 * `bindings()`) and bunyan (it has `fields`). Given `(message, fields)` such a logger would take
 * the fields as format arguments and drop them.
 */
function takesFieldsFirst(logger: object): boolean {
  const candidate = logger as { bindings?: unknown; fields?: unknown; child?: unknown }
  if (typeof candidate.child !== 'function') return false
  return (
    typeof candidate.bindings === 'function' ||
    (typeof candidate.fields === 'object' && candidate.fields !== null)
  )
}

/** pino's and bunyan's error serialiser reads `err`: the receiver's `error` field goes there. */
function fieldsFirst(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!details || !('error' in details)) return details ?? {}
  const { error, ...rest } = details
  return { ...rest, err: error }
}

/**
 * The `logger` option as the receiver calls it: `(message, fields)`, fields such as `trigger` and
 * `invocationId` kept as fields. `console`, winston and any `(message, fields)` logger are used as
 * they are; pino and bunyan (fields first) are called `logger.error(fields, message)`; `false`
 * silences the receiver; the default is `console`.
 *
 * @example
 * resolveLogger(pino()).error('The handler of idn:identity-created failed', { trigger: 'idn:identity-created' })
 * // pino writes {"level":50,"trigger":"idn:identity-created","msg":"The handler of ..."}
 */
export function resolveLogger(logger: TriggerLogger | false | undefined): TriggerLogger {
  if (logger === false) return silentLogger
  if (logger === undefined) return consoleLogger
  if (typeof logger?.error !== 'function' || typeof logger.warn !== 'function')
    throw new TriggerConfigError(
      'logger must have error() and warn() methods (console, pino, ...), or be false',
    )
  if (!takesFieldsFirst(logger)) return logger
  // Methods are looked up at each call, as they would be on the logger itself (a level change
  // may swap them).
  const target = logger as unknown as Record<'error' | 'warn', (fields: object, message: string) => void>
  return {
    error: (message, details) => target.error(fieldsFirst(details), message),
    warn: (message, details) => target.warn(fieldsFirst(details), message),
  }
}
