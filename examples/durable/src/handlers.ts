import { setTimeout as pause } from 'node:timers/promises'
import type { TriggerInput, TriggerOutput, TriggerReceiver } from '@isc-triggers/core'

type AccessRequest = TriggerInput<'idn:access-request-pre-approval'>
type Decision = TriggerOutput<'idn:access-request-pre-approval'>

/** Options of {@link registerHandlers}. */
export interface HandlerOptions {
  /** Where the handlers report what they did; default `console.log`. */
  log?: (line: string) => void
  /**
   * Time each handler spends "in other systems" (ms), to stand for a real call to a directory or
   * a ticketing API; default 0. The crash tour of `pnpm demo` sets it so that a killed worker
   * has jobs in flight.
   */
  workMs?: number
}

/** Access this service never approves on its own: anything privileged goes to a human. */
const PRIVILEGED = /admin|root|prod/i

/** The approval policy: deny privileged items, approve the rest. The same input always gets the same decision. */
export function decide(request: AccessRequest): Decision {
  const privileged = request.requestedItems.filter(
    (item) => item.operation === 'Add' && PRIVILEGED.test(item.name),
  )
  if (privileged.length > 0)
    return {
      approved: false,
      comment: `Privileged access (${privileged.map((item) => item.name).join(', ')}) needs a manual review`,
      approver: 'svc-access-policy',
    }
  return { approved: true, comment: 'Within the standard access policy', approver: 'svc-access-policy' }
}

/**
 * Registers this service's handlers. The web process and every worker call it on the same kind
 * of receiver (see `createDurableReceiver`): the web process stores the deliveries, the workers
 * run these functions.
 *
 * Both run at least once: a worker that dies in the middle of one (a crash, a SIGKILL, an
 * out-of-memory kill) leaves its job to another worker, which runs the handler again. Make what
 * they do idempotent (an upsert keyed by the identity id, not an insert).
 *
 * @example
 * const receiver = createTriggerReceiver({ auth, queue: bullmqQueue({ connection, sealKey }) })
 * registerHandlers(receiver, { log: (line) => logger.info(line) })
 */
export function registerHandlers(
  receiver: TriggerReceiver,
  { log = console.log, workMs = 0 }: HandlerOptions = {},
): void {
  // Fire-and-forget: ISC got its 200 once the delivery was stored in Redis.
  receiver.on('idn:identity-created', async (input) => {
    log(`identity-created: welcome ${input.identity.name} (${input.identity.id})`)
    if (workMs > 0) await pause(workMs) // e.g. create the mailbox: keyed by the identity id, so a rerun is harmless
  })

  // ASYNC: ISC got `200 {}`; the worker decides once, stores the decision in the job, then
  // completes the invocation. A retry after a crash re-sends that stored decision.
  receiver.on(
    'idn:access-request-pre-approval',
    async (input) => {
      if (workMs > 0) await pause(workMs) // e.g. look the requester up in the HR system
      const decision = decide(input)
      log(
        `access-request-pre-approval: ${input.accessRequestId} ${decision.approved ? 'approved' : 'denied'}`,
      )
      return decision
    },
    { mode: 'async' },
  )
}
