import type { CompletionReport } from '../callbacks/completion-client.js'
import { type CallbackAttemptOutcome, type CallbackTraceContext, callbackChannel } from './channels.js'

/**
 * One callback attempt on the `isc-triggers:callback` channel: `start` and `end` around the
 * POST's synchronous start (inside `start.runStores`, so an HTTP client instrumentation's span
 * nests under a tracer's attempt span), then `asyncStart` and `asyncEnd` once the attempt's
 * outcome is known (`error` first for a network error or a time-out).
 */
export class CallbackTrace {
  readonly context: CallbackTraceContext

  constructor(
    ids: Pick<CompletionReport, 'invocationId' | 'triggerId'>,
    attempt: number,
    decision: CallbackTraceContext['decision'],
  ) {
    this.context = {
      trigger: ids.triggerId,
      invocationId: ids.invocationId,
      attempt,
      decision,
      outcome: undefined,
      status: undefined,
    }
  }

  /** Starts the attempt: `post()` runs between `start` and `end`. */
  around<T>(post: () => T): T {
    const posted = callbackChannel.start.runStores(this.context, post)
    callbackChannel.end.publish(this.context)
    return posted
  }

  finish(outcome: CallbackAttemptOutcome, status: number | undefined, error?: unknown): void {
    const context = this.context
    try {
      context.outcome = outcome
      context.status = status
    } catch {} // a subscriber froze its context: the attempt's outcome is not the trace's
    if (error !== undefined) {
      try {
        context.error = error instanceof Error ? error : new Error('the request failed')
      } catch {}
      callbackChannel.error.publish(context)
    }
    callbackChannel.asyncStart.publish(context)
    callbackChannel.asyncEnd.publish(context)
  }
}

/**
 * A trace for one attempt, or undefined when nobody subscribed to the channel (then an attempt
 * costs one `hasSubscribers` check).
 *
 * @example
 * const trace = openCallbackTrace({ invocationId, triggerId }, 1, 'output')
 */
export function openCallbackTrace(
  ids: Pick<CompletionReport, 'invocationId' | 'triggerId'>,
  attempt: number,
  decision: CallbackTraceContext['decision'],
): CallbackTrace | undefined {
  return callbackChannel.hasSubscribers ? new CallbackTrace(ids, attempt, decision) : undefined
}
