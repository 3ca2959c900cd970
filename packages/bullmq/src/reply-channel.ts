import type { ConnectionOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import { quit, redisFrom } from './redis-clients.js'

/**
 * The one claim that decides how a DYNAMIC invocation is answered: `inline` (the web process
 * answers 200 with the decision) or `callback` (a worker sends it). Both sides claim with
 * `SET NX`; the first wins, so ISC never gets both. The web process claims only with the
 * decision in hand and before its budget ends; a worker waits for that chance to pass.
 */
export type ReplyClaim = 'inline' | 'callback'

/** What a worker publishes to the web process that waits for a DYNAMIC decision. */
export interface ReplyMessage {
  id: string
  /** `decision` carries the output; `deferred` says "answer 202 now" (ctx.defer(), or an error). */
  kind: 'decision' | 'deferred'
  output?: unknown
}

/**
 * How long a claim is kept: past the invocation's deadline, with an hour to spare (a claim that
 * expired while its job still ran would let the other side claim too).
 */
export function claimTtl(delivery: { deadlineAt?: number }): number {
  return (delivery.deadlineAt ?? Date.now()) - Date.now() + 3_600_000
}

/** How long after `replyBy` a worker still leaves the inline answer to the web process. */
export const INLINE_GRACE_MS = 1_000
/** How often a worker looks whether the web process claimed the answer. */
const CLAIM_POLL_MS = 50

/**
 * The Redis side of DYNAMIC replies for one queue: claims under `<prefix>:<name>:isc-reply:<job
 * id>` and messages on `<prefix>:<name>:isc-replies`. Connections are made on first use.
 */
export class ReplyChannel {
  readonly #connection: ConnectionOptions
  readonly #keyPrefix: string
  readonly channel: string
  #commands: Redis | undefined
  #subscriber: Redis | undefined
  #subscribed: Promise<unknown> | undefined
  /** Several web requests may wait for one invocation (a duplicate delivery): each hears it. */
  readonly #listeners = new Map<string, Set<(message: ReplyMessage) => void>>()

  constructor(connection: ConnectionOptions, prefix: string, name: string) {
    this.#connection = connection
    this.#keyPrefix = `${prefix}:${name}:isc-reply:`
    this.channel = `${prefix}:${name}:isc-replies`
  }

  #closed = false

  get commands(): Redis {
    if (this.#closed) throw new Error('The reply channel is closed')
    this.#commands ??= redisFrom(this.#connection)
    return this.#commands
  }

  /** Claims the answer; resolves the claim that holds (ours, or the one made first). */
  async claim(id: string, claim: ReplyClaim, ttlMs: number): Promise<ReplyClaim> {
    const key = this.#keyPrefix + id
    const set = await this.commands.set(key, claim, 'PX', Math.max(1000, Math.round(ttlMs)), 'NX')
    if (set === 'OK') return claim
    return ((await this.commands.get(key)) as ReplyClaim | null) ?? claim
  }

  /** The claim made so far, if any. */
  async current(id: string): Promise<ReplyClaim | undefined> {
    return ((await this.commands.get(this.#keyPrefix + id)) as ReplyClaim | null) ?? undefined
  }

  /**
   * Waits until `until` (epoch ms) for the web process's claim, then claims the callback if
   * nobody did. True when this worker must send the callback.
   */
  async callbackIsOurs(id: string, until: number, ttlMs: number): Promise<boolean> {
    while (Date.now() < until) {
      if ((await this.current(id)) !== undefined) break
      await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS))
    }
    return (await this.claim(id, 'callback', ttlMs)) === 'callback'
  }

  async publish(message: ReplyMessage): Promise<void> {
    await this.commands.publish(this.channel, JSON.stringify(message))
  }

  /** Subscribes once; resolves when the subscription is in place. */
  subscribed(): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error('The reply channel is closed'))
    if (!this.#subscribed) {
      const subscriber = redisFrom(this.#connection)
      this.#subscriber = subscriber
      subscriber.on('message', (_channel: string, text: string) => this.#deliver(text))
      subscriber.on('error', () => {}) // ioredis reconnects; a waiting reply times out into a 202
      this.#subscribed = subscriber.subscribe(this.channel)
      this.#subscribed.catch(() => {
        // The next DYNAMIC delivery tries again, on a new connection: this one must not linger.
        if (this.#subscriber === subscriber) {
          this.#subscribed = undefined
          this.#subscriber = undefined
        }
        subscriber.disconnect()
      })
    }
    return this.#subscribed
  }

  listen(id: string, listener: (message: ReplyMessage) => void): () => void {
    const listeners = this.#listeners.get(id) ?? new Set<(message: ReplyMessage) => void>()
    this.#listeners.set(id, listeners)
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
      if (listeners.size === 0 && this.#listeners.get(id) === listeners) this.#listeners.delete(id)
    }
  }

  #deliver(text: string): void {
    let message: ReplyMessage
    try {
      message = JSON.parse(text) as ReplyMessage
    } catch {
      return
    }
    for (const listener of this.#listeners.get(message.id) ?? []) listener(message)
  }

  async close(): Promise<void> {
    this.#closed = true
    const subscriber = this.#subscriber
    const commands = this.#commands
    this.#subscriber = undefined
    this.#commands = undefined
    this.#subscribed = undefined
    await Promise.all([quit(subscriber), quit(commands)])
  }
}
