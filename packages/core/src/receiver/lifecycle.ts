import { type Running, STOP } from '../dispatch/handler-call.js'
import { TriggerError } from '../errors.js'
import type { TriggerLogger } from '../types.js'

/**
 * What `receiver.close()` did: how long it waited, and what it had to stop at its timeout. All
 * zero when everything finished in time.
 */
export interface CloseReport {
  /** Milliseconds from `close()` to drained (or to the timeout). */
  drainedMs: number
  /**
   * Work still running at the timeout, each piece counted once: deliveries not yet answered, plus
   * work that outlived its reply (an ASYNC or DYNAMIC handler and its callback, a SYNC handler
   * past its budget, a dedupe claim being given back).
   */
  abandoned: number
  /** Handlers (any mode) still running at the timeout: their `ctx.signal` was aborted. */
  handlers: number
  /**
   * Callbacks still retrying at the timeout: their retries stopped, each reported to
   * `onCompletion` with outcome `abandoned` before `close()` resolved.
   */
  callbacks: number
}

/**
 * What runs now: dispatch adds each running handler and pending callback and removes it when it
 * settles. Once close() has stopped them, anything added later (a handler that started after the
 * timeout, the error callback of a handler that the abort made fail) is stopped at once: after
 * close() gave up, nothing new is sent and nothing new holds the process.
 */
class RunningWork extends Set<Running> {
  #stopped: Error | undefined

  override add(work: Running): this {
    if (this.#stopped === undefined) return super.add(work)
    work[STOP](this.#stopped)
    return this
  }

  /** Stops everything running now and from now on; counts what was running now. */
  stop(reason: Error): { handlers: number; callbacks: number } {
    this.#stopped = reason
    const counts = { handlers: 0, callbacks: 0 }
    // Copied first: stopping one may settle it, and settling removes it.
    for (const work of [...this]) {
      this.delete(work)
      counts[work[STOP](reason) === 'handler' ? 'handlers' : 'callbacks']++
    }
    return counts
  }
}

/**
 * The receiver's work in flight, for `close()`: deliveries being answered (counted), work that
 * outlives its reply (ASYNC/DYNAMIC callbacks, a SYNC handler past its budget; tracked), and what
 * runs now (`running`: handlers and callbacks, each removed as soon as it settles), which close()
 * stops at its timeout so that nothing of the receiver's is left holding the process open.
 *
 * @example
 * const lifecycle = new Lifecycle(logger)
 * lifecycle.begin(); reply(); lifecycle.end()
 * const report = await lifecycle.close(10_000) // { drainedMs: 0, abandoned: 0, handlers: 0, callbacks: 0 }
 */
export class Lifecycle {
  readonly #logger: TriggerLogger
  readonly #background = new Set<Promise<void>>()
  /** Handlers and callbacks running now (dispatch adds and removes them). */
  readonly running = new RunningWork()
  #active = 0
  #closed = false
  #onIdle: (() => void) | undefined
  #drained: Promise<void> | undefined

  constructor(logger: TriggerLogger) {
    this.#logger = logger
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

  /** One promise for every `close()` call (a second call must not take the first one's wake-up). */
  #whenDrained(): Promise<void> {
    this.#drained ??= new Promise<void>((resolve) => {
      const check = () => {
        if (this.#active === 0 && this.#background.size === 0) resolve()
      }
      this.#onIdle = check
      check()
    })
    return this.#drained
  }

  /**
   * Refuses new deliveries and waits until nothing is in flight, up to `timeoutMs`; then stops
   * what is left: every running handler's `ctx.signal` aborts (all modes) and every pending
   * callback stops retrying (outcome `abandoned`, its timers cleared). Resolves with true counts.
   */
  async close(timeoutMs: number): Promise<CloseReport> {
    const started = Date.now()
    this.#closed = true
    const drained = this.#whenDrained()
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs)
    })
    const outcome = await Promise.race([drained, late])
    clearTimeout(timer)
    const report: CloseReport = { drainedMs: Date.now() - started, abandoned: 0, handlers: 0, callbacks: 0 }
    if (outcome !== 'late') return report
    report.abandoned = this.#active + this.#background.size
    const stopped = this.running.stop(new TriggerError('SHUTTING_DOWN', 'The receiver closed'))
    report.handlers = stopped.handlers
    report.callbacks = stopped.callbacks
    if (report.abandoned > 0)
      try {
        this.#logger.warn(
          `close(): ${report.abandoned} deliveries or callbacks still running were abandoned ` +
            `(${report.handlers} handler signals aborted, ${report.callbacks} callbacks stopped)`,
        )
      } catch {} // a throwing logger changes nothing
    return report
  }
}
