import { TriggerConfigError } from './errors.js'

// Every default and protocol limit of the receiver, in one place. The option docs
// (TriggerReceiverOptions, CompletionOptions, DedupeOptions) repeat them for users.

/** ISC waits 10 s for a reply in every mode (PROTOCOL.md). */
export const ISC_REPLY_LIMIT_MS = 10_000
/** A request-response handler's default reply budget: ISC's 10 s, less room for the network. */
export const DEFAULT_REPLY_BUDGET_MS = 8_000
/** Largest body accepted by default: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1_048_576
/** Longest wait for a streamed body by default. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000
/** How long after receipt an ASYNC/DYNAMIC invocation may be completed by default: 1 hour. */
export const DEFAULT_INVOCATION_DEADLINE_MS = 3_600_000
/** How long a dedupe claim is kept by default: 24 hours. */
export const DEFAULT_DEDUPE_TTL_MS = 24 * 60 * 60 * 1000
/** Longest wait for one dedupe store call by default (Redis answers in about a millisecond). */
export const DEFAULT_DEDUPE_TIMEOUT_MS = 1_000
/** How long `close()` waits for in-flight work by default. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000

/**
 * `value` when it is a finite number above zero, `fallback` when it is undefined; anything else
 * is a configuration error naming the option.
 *
 * @example
 * const limit = positiveNumber('bodyLimit', options.bodyLimit, DEFAULT_BODY_LIMIT)
 */
export function positiveNumber(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new TriggerConfigError(`${name} must be a positive number`)
  return value
}
/** Longest wait for a queue to store a delivery by default (then 503). */
export const DEFAULT_ENQUEUE_TIMEOUT_MS = 5_000
