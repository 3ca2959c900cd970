/**
 * A promise the test opens by hand. A handler that awaits it is "still running" for as long as
 * the test wants, so no assertion depends on a sleep racing a timer or on the machine's speed.
 *
 * @example
 * const gate = createGate()
 * receiver.on('idn:access-request-pre-approval', async () => { await gate.promise; return decision }, { mode: 'async' })
 * const reply = await deliver() // answered while the handler waits
 * gate.open()
 */
export interface Gate {
  readonly promise: Promise<void>
  readonly isOpen: boolean
  open(): void
}

export function createGate(): Gate {
  let release!: () => void
  let isOpen = false
  const promise = new Promise<void>((resolve) => {
    release = resolve
  })
  return {
    promise,
    get isOpen() {
      return isOpen
    },
    open() {
      isOpen = true
      release()
    },
  }
}

/**
 * Resolves as `promise` does, or rejects with `what` if it has not settled within `ms`: a clear
 * failure, instead of the test runner's timeout, when a reply waits for something it must not.
 * A hang detector, never a speed check: give it 30 s or more (CI shares two cores), and the test
 * a longer timeout. Where a held gate already makes a regression hang, await the promise itself.
 *
 * @example
 * const head = await settlesWithin(exchange.head, 30_000, 'the refusal waited for a body that never came')
 */
export function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} (nothing within ${ms} ms)`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}
