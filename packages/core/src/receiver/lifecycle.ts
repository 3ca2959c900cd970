import { TriggerError } from '../errors.js'
import type { TriggerLogger } from '../types.js'

/** What `receiver.close()` did: how long it waited, and how much work it had to abandon. */
export interface CloseReport {
  /** Milliseconds from `close()` to drained (or to the timeout). */
  drainedMs: number
  /** Deliveries and callbacks still running at the timeout (their `ctx.signal` was aborted). */
  abandoned: number
}

/**
 * The receiver's work in flight, for `close()`: deliveries being answered (counted) and work that
 * outlives its reply (ASYNC/DYNAMIC callbacks, a SYNC handler past its budget; tracked).
 *
 * @example
 * const lifecycle = new Lifecycle(logger)
 * lifecycle.begin(); reply(); lifecycle.end()
 * const report = await lifecycle.close(10_000) // { drainedMs: 0, abandoned: 0 }
 */
export class Lifecycle {
  readonly #logger: TriggerLogger
  readonly #closing = new AbortController()
  readonly #background = new Set<Promise<void>>()
  #active = 0
  #closed = false
  #onIdle: (() => void) | undefined

  constructor(logger: TriggerLogger) {
    this.#logger = logger
  }

  /** Aborts when `close()` gives up waiting: the signal of work it abandons. */
  get closing(): AbortSignal {
    return this.#closing.signal
  }

  /** True once `close()` was called: new deliveries are refused (503). */
  get closed(): boolean {
    return this.#closed
  }

  /** A delivery started. */
  begin(): void {
    this.#active++
  }

  /** A delivery's reply is ready. */
  end(): void {
    if (--this.#active === 0) this.#onIdle?.()
  }

  /** Keeps background work visible to `close()`; its outcome is the caller's to report. */
  track(work: Promise<unknown>): void {
    const settled: Promise<void> = work.then(
      () => this.#settle(settled),
      () => this.#settle(settled),
    )
    this.#background.add(settled)
  }

  #settle(work: Promise<void>): void {
    this.#background.delete(work)
    if (this.#closed) this.#onIdle?.()
  }

  /**
   * Refuses new deliveries and waits until nothing is in flight, up to `timeoutMs`; then aborts
   * what is left (`closing`) and reports how much that was.
   */
  async close(timeoutMs: number): Promise<CloseReport> {
    const started = Date.now()
    this.#closed = true
    const drained = new Promise<void>((resolve) => {
      const check = () => {
        if (this.#active === 0 && this.#background.size === 0) resolve()
      }
      this.#onIdle = check
      check()
    })
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs)
    })
    const outcome = await Promise.race([drained, late])
    clearTimeout(timer)
    const abandoned = outcome === 'late' ? this.#active + this.#background.size : 0
    if (abandoned > 0) {
      this.#logger.warn(`close(): ${abandoned} deliveries or callbacks still running were abandoned`)
      this.#closing.abort(new TriggerError('SHUTTING_DOWN', 'The receiver closed'))
    }
    return { drainedMs: Date.now() - started, abandoned }
  }
}
