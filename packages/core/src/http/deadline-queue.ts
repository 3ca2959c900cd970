/** A pending deadline; pass it back to {@link DeadlineQueue.cancel} when the work finished in time. */
export interface Deadline {
  readonly at: number
  readonly expire: () => void
}

/** The longest delay `setTimeout` takes as given (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647

/** A deadline in the queue's doubly linked list. */
interface Entry extends Deadline {
  previous: Entry | undefined
  next: Entry | undefined
}

/**
 * Deadlines of one fixed length (a receiver's body read timeout), kept with a single timer instead
 * of one `setTimeout` per request. Deadlines of equal length expire in the order they were set, so
 * a list in insertion order is already sorted: the timer waits for the oldest, expires what is
 * due, and re-arms for the next. Starting and cancelling are O(1) link updates; a cancelled
 * deadline's timer is not touched, the next firing notices. Under load this is one timer per
 * `ms`, whatever the request rate.
 *
 * @example
 * const reads = new DeadlineQueue(10_000)
 * const deadline = reads.start(() => stream.destroy())
 * stream.once('end', () => reads.cancel(deadline))
 */
export class DeadlineQueue {
  readonly #ms: number
  #oldest: Entry | undefined
  #newest: Entry | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(ms: number) {
    this.#ms = ms
  }

  /** The length of every deadline, in milliseconds. */
  get ms(): number {
    return this.#ms
  }

  /** Calls `expire` once `ms` have passed, unless cancelled first. */
  start(expire: () => void): Deadline {
    const entry: Entry = { at: Date.now() + this.#ms, expire, previous: this.#newest, next: undefined }
    if (this.#newest) this.#newest.next = entry
    else this.#oldest = entry
    this.#newest = entry
    if (this.#timer === undefined) this.#arm(this.#ms)
    return entry
  }

  /** Forgets a deadline (one already expired or cancelled is ignored). */
  cancel(deadline: Deadline): void {
    const entry = deadline as Entry
    if (entry.previous) entry.previous.next = entry.next
    else if (this.#oldest === entry) this.#oldest = entry.next
    else return // not in the list any more
    if (entry.next) entry.next.previous = entry.previous
    else this.#newest = entry.previous
    entry.previous = undefined
    entry.next = undefined
  }

  // Unreferenced: what is being waited for (a socket) keeps the process alive, not the deadline.
  // Capped: Node fires a longer timer after 1 ms; capped, a far deadline just re-arms until due.
  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#expireDue(), Math.min(ms, MAX_TIMER_MS)).unref()
  }

  #expireDue(): void {
    this.#timer = undefined
    const now = Date.now()
    for (let entry = this.#oldest; entry !== undefined; entry = this.#oldest) {
      if (entry.at > now) {
        this.#arm(entry.at - now)
        return
      }
      this.cancel(entry)
      entry.expire()
    }
  }
}
