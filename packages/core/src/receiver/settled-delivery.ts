import type { DispatchEnv } from '../dispatch/handler-call.js'
import { isTriggerError, TriggerConfigError, TriggerError } from '../errors.js'
import type { TriggerReply } from '../http/reply.js'
import type { DeliveryPipeline, TrustedEvent } from './pipeline.js'
import { pipelineOf, type TriggerReceiver, type TriggerRequest } from './receiver.js'

export type { TrustedEvent } from './pipeline.js'

/**
 * The work one delivery started that outlives its reply (an ASYNC or DYNAMIC handler and its
 * callback, a dedupe claim given back), collected so that a caller can wait for it; and, for a
 * delivery its transport redelivers, the handler failure that was not sent to ISC.
 */
class DeliveryWork {
  readonly #pending = new Set<Promise<void>>()
  failure: TriggerError | undefined

  /** The receiver's dispatch env, with `track` also collecting here (`close()` still sees all). */
  env(base: DispatchEnv, redelivered: boolean): DispatchEnv {
    const env: DispatchEnv = {
      ...base,
      track: (work, late) => {
        base.track(work, late)
        if (!late) this.#add(work)
      },
    }
    if (redelivered)
      env.redelivers = (failure) => {
        this.failure ??= failure
      }
    return env
  }

  #add(work: Promise<unknown>): void {
    const settled: Promise<void> = work.then(
      () => void this.#pending.delete(settled),
      () => void this.#pending.delete(settled),
    )
    this.#pending.add(settled)
  }

  /** Resolves once nothing is pending, including work that pending work started. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending)
  }
}

function pipeline(receiver: TriggerReceiver, caller: string): DeliveryPipeline {
  const found = (receiver as Partial<Record<typeof pipelineOf, DeliveryPipeline>> | null)?.[pipelineOf]
  if (!found) throw new TriggerConfigError(`${caller} needs a receiver made by createTriggerReceiver()`)
  return found
}

/**
 * `receiver.handle()` for a host that freezes the process once it has the reply (AWS Lambda):
 * the same reply, given only once the work the delivery started has settled. An ASYNC handler
 * and its callback, a DYNAMIC one's callback after a 202, a dedupe claim being given back: each
 * would otherwise be frozen mid-way, and the decision never reach ISC. A SYNC handler that ran
 * past its budget is not waited for: ISC already has the fallback (or the 504), and its
 * `ctx.signal` was aborted. So an ASYNC reply waits for the handler and the callback; keep such
 * handlers well within ISC's 10 s reply limit on such a host, or receive over EventBridge.
 *
 * @example
 * const reply = await handleUntilSettled(receiver, { method: 'POST', headers, body, trigger: 'identity-created' })
 * return { statusCode: reply.status, headers: reply.headers, body: reply.body }
 */
export async function handleUntilSettled(
  receiver: TriggerReceiver,
  request: TriggerRequest,
): Promise<TriggerReply> {
  const pipe = pipeline(receiver, 'handleUntilSettled')
  const work = new DeliveryWork()
  const reply = await new Promise<TriggerReply>((resolve) =>
    pipe.answer(request, resolve, work.env(pipe.env, false)),
  )
  await work.settled()
  return reply
}

/**
 * Handles an event from a transport that authenticates its sender itself and delivers again what
 * fails: ISC's EVENTBRIDGE subscriptions (IAM guards the bus; EventBridge and Lambda retry). The
 * receiver's `auth` does not apply; everything else does, as for `handle()`: the payload is
 * split from `_metadata`, validated against the trigger's schema and dispatched; refusals go to
 * `onRejected`; hooks, the tracing channel and `close()` see it. There is no reply, so a
 * request-response handler of any mode decides by callback (`{ secret, output }` to
 * `_metadata.callbackURL`, through the completion client and its allowlist), as ASYNC does.
 *
 * Resolves once everything the event started has settled: the handler ran (or the event was
 * stored in the receiver's `queue`), a decision was sent, or the event was refused for good (a
 * 400 or 404: retrying cannot change it). Rejects with the {@link TriggerError} when trying again
 * may succeed: the handler failed (a request-response one's failure is then not sent to ISC, so
 * that the retry can still decide), the queue could not store the event, or the receiver is
 * closing.
 *
 * @example
 * export const handler = (event: EventBridgeEvent<string, unknown>) =>
 *   handleTrustedEvent(receiver, { trigger: event['detail-type'], payload: event.detail })
 */
export async function handleTrustedEvent(receiver: TriggerReceiver, event: TrustedEvent): Promise<void> {
  const pipe = pipeline(receiver, 'handleTrustedEvent')
  const work = new DeliveryWork()
  const { reply, error } = await new Promise<{ reply: TriggerReply; error: unknown }>((resolve) =>
    pipe.answerEvent(event, (reply, error) => resolve({ reply, error }), work.env(pipe.env, true)),
  )
  await work.settled()
  if (reply.status >= 500)
    throw isTriggerError(error)
      ? error
      : new TriggerError('HANDLER_FAILED', 'The trigger handler failed', { cause: error })
  if (work.failure) throw work.failure
}
