import { type DispatchEnv, isThenable } from '../dispatch/handler-call.js'
import { isTriggerError, TriggerConfigError, TriggerError } from '../errors.js'
import type { TriggerReply } from '../http/reply.js'
import type { DeliveryPipeline, TrustedEvent } from './pipeline.js'
import { pipelineOf, type TriggerReceiver, type TriggerRequest } from './receiver.js'
import type { RefusalEnv } from './rejection.js'

export type { TrustedEvent } from './pipeline.js'

/**
 * The work one delivery started that outlives its reply (an ASYNC or DYNAMIC handler and its
 * callback, a dedupe claim given back, an `onRejected` still storing past its reply budget),
 * collected so that a caller can wait for it; and, for a delivery its transport redelivers, the
 * handler failure that was not sent to ISC, or the `onRejected` failure that kept nothing.
 */
class DeliveryWork {
  readonly #pending = new Set<Promise<void>>()
  failure: TriggerError | undefined
  /** Set when `onRejected` threw or rejected: the refused delivery was not kept. */
  unkept: TriggerError | undefined

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

  /**
   * The receiver's refusal env with `onRejected` watched: a promise it returns is waited for
   * (settled()) even past the reply's budget, since a hook frozen mid-way keeps nothing, and a
   * throw or rejection is noted in `unkept`. The hook itself is called as before.
   */
  refusals(base: RefusalEnv): RefusalEnv {
    const hook = base.onRejected
    if (hook === undefined) return base
    const onRejected: RefusalEnv['onRejected'] = (rejection) => {
      const failed = (cause: unknown) => {
        this.unkept ??= new TriggerError(
          'HANDLER_FAILED',
          `onRejected failed to keep a refused delivery (${rejection.status} ${rejection.code})`,
          { cause },
        )
      }
      try {
        const returned = hook(rejection)
        if (!isThenable(returned)) return returned
        const keeping = Promise.resolve(returned).catch((error: unknown) => {
          failed(error)
          throw error
        })
        this.#add(keeping)
        return keeping
      } catch (error) {
        failed(error)
        throw error
      }
    }
    return { ...base, onRejected }
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
 * would otherwise be frozen mid-way, and the decision never reach ISC. So is an `onRejected` still
 * storing a refused delivery after its reply budget: waited for, not frozen. A SYNC handler that ran
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
    pipe.answer(request, resolve, work.env(pipe.env, false), work.refusals(pipe.refusals)),
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
 * 400 or 404: retrying cannot change it) and handed to `onRejected` (waited for, however long it
 * takes). Rejects with the {@link TriggerError} when trying again may succeed: the handler failed
 * (a request-response one's failure is then not sent to ISC, so that the retry can still decide),
 * `onRejected` threw or rejected (the refused event was not kept: `HANDLER_FAILED`), the queue
 * could not store the event, or the receiver is closing, or closed before a decision was sent
 * (`SHUTTING_DOWN`; a dedupe claim is given back).
 *
 * @example
 * export const handler = (event: EventBridgeEvent<string, unknown>) =>
 *   handleTrustedEvent(receiver, { trigger: event['detail-type'], payload: event.detail, receivedAt: new Date(event.time) })
 */
export async function handleTrustedEvent(receiver: TriggerReceiver, event: TrustedEvent): Promise<void> {
  const pipe = pipeline(receiver, 'handleTrustedEvent')
  const work = new DeliveryWork()
  const { reply, error } = await new Promise<{ reply: TriggerReply; error: unknown }>((resolve) =>
    pipe.answerEvent(
      event,
      (reply, error) => resolve({ reply, error }),
      work.env(pipe.env, true),
      work.refusals(pipe.refusals),
    ),
  )
  await work.settled()
  if (reply.status >= 500)
    throw isTriggerError(error)
      ? error
      : new TriggerError('HANDLER_FAILED', 'The trigger handler failed', { cause: error })
  // A refusal nobody kept: rejected, so that it is delivered again or kept by the transport.
  if (work.unkept) throw work.unkept
  if (work.failure) throw work.failure
}
