import type { TriggerContext } from '../types.js'
import type { WrapHandler } from './hooks.js'

/** How a wrapper failed, for the log: its error, or that it never called `run()`. */
export type WrapperFailed = (problem: string, error?: unknown) => void

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
}

/**
 * Calls `call` (the handler) through `wrappers[index..]`, the first outermost, and returns what
 * `call` returned or throws what it threw, once every wrapper has settled: a wrapper's own value,
 * throw or rejection changes nothing (it is reported to `failed`, unless it is the handler's own
 * error passed on), and a wrapper that never calls `run()` gets the handler run after it anyway.
 *
 * @example
 * callThroughWrappers([(ctx, run) => als.run(ctx, run)], 0, ctx, () => handler(input, ctx), report)
 */
export function callThroughWrappers(
  wrappers: readonly WrapHandler[],
  index: number,
  ctx: TriggerContext,
  call: () => unknown,
  failed: WrapperFailed,
): unknown {
  if (index === wrappers.length) return call()
  const wrapper = wrappers[index] as WrapHandler
  let outcome: Outcome | undefined
  // The handler's rejection, once its promise settled: a wrapper that rethrows it did not fail.
  let rejection: { error: unknown } | undefined
  const run = (): unknown => {
    if (outcome === undefined) {
      try {
        const returned = callThroughWrappers(wrappers, index + 1, ctx, call, failed)
        // A thenable is adopted once: its then() may run work (a query builder runs on each call).
        const value = isThenable(returned) ? Promise.resolve(returned) : returned
        outcome = { ok: true, value }
        if (value instanceof Promise)
          value.then(undefined, (error: unknown) => {
            rejection = { error }
          })
      } catch (error) {
        outcome = { ok: false, error }
      }
    }
    if (!outcome.ok) throw outcome.error
    return outcome.value
  }
  const passedOn = (error: unknown) =>
    (outcome !== undefined && !outcome.ok && outcome.error === error) ||
    (rejection !== undefined && rejection.error === error)
  const report = (problem: string, error?: unknown) => {
    try {
      failed(problem, error)
    } catch {}
  }
  const settle = (): unknown => {
    if (outcome === undefined) report('wrapHandler returned without calling run(); the handler ran after it')
    return run()
  }
  const threw = (error: unknown): unknown => {
    if (!passedOn(error)) report('wrapHandler threw; the handler kept its own outcome', error)
    return run()
  }
  let wrapped: unknown
  try {
    wrapped = wrapper(ctx, run)
  } catch (error) {
    return threw(error)
  }
  let thenable: boolean
  try {
    thenable = isThenable(wrapped)
  } catch (error) {
    return threw(error)
  }
  if (!thenable) return settle()
  return Promise.resolve(wrapped as PromiseLike<unknown>).then(settle, threw)
}
