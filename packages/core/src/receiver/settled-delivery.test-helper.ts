// Waits for the tests of deliveries whose promise settles late (handleUntilSettled,
// handleTrustedEvent, and the AWS Lambda handlers built on them). Test-only: not part of the
// package. Nothing here measures time: a test checks that a promise is still pending once every
// chain that could settle it without I/O has run, then awaits the promise itself.
import { isTriggerError } from '../errors.js'

/**
 * One turn of the event loop: every promise chain that needs no I/O or timer has settled.
 *
 * @example
 * await turn()
 * expect(replied).toBe(false)
 */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** A promise watched from the moment it was made: how it stands now, and how it settles. */
export interface Watched {
  /** `'pending'` while the promise has not settled, else {@link Watched.settled}'s text. */
  readonly state: string
  /** `'resolved'`, or `'rejected <code>'` (a TriggerError's code, else the error as text). */
  readonly settled: Promise<string>
}

/**
 * Watches `promise` (a rejection is handled here, so none goes unhandled while the test waits).
 *
 * @example
 * const outcome = watch(handleTrustedEvent(receiver, event))
 * await turn()
 * expect(outcome.state).toBe('pending') // held by a gate
 * gate.open()
 * expect(await outcome.settled).toBe('resolved')
 */
export function watch(promise: Promise<unknown>): Watched {
  let state = 'pending'
  const settled = promise.then(
    () => 'resolved',
    (error: unknown) => `rejected ${isTriggerError(error) ? error.code : String(error)}`,
  )
  settled.then((text) => {
    state = text
  })
  return {
    get state() {
      return state
    },
    settled,
  }
}
