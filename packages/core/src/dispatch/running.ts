/**
 * Work that `close()` stops at its timeout: a running handler (its `ctx.signal` aborts) or a
 * pending callback (its retries stop, outcome `abandoned`). Keyed by a symbol so it is no part of
 * the `ctx` a handler sees.
 */
export const STOP = Symbol('isc-triggers.stop')

/**
 * One piece of running work, in the receiver's `running` set from its start until it settles.
 *
 * @example
 * env.running.add(ctx); work.finally(() => env.running.delete(ctx))
 * // at close()'s timeout: for (const work of running) work[STOP](reason)
 */
export interface Running {
  /** Stops it; says which kind it was, for the close report. */
  [STOP](reason: Error): 'handler' | 'callback'
}
