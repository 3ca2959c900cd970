import { normaliseOrigins } from '../callbacks/callback-guard.js'
import { type CompletionOptions, createCompletionClient } from '../callbacks/completion-client.js'
import { splitMetadata } from '../callbacks/metadata.js'
import { type DedupeOptions, dedupeKey, dedupeTtl } from '../dedupe/dedupe.js'
import { type DispatchEnv, dispatch } from '../dispatch/dispatch.js'
import { createHandlerEntry, type HandlerEntry } from '../dispatch/handler-entry.js'
import { TriggerConfigError, TriggerError } from '../errors.js'
import { type AuthOptions, type AuthVerifier, createAuthVerifier } from '../http/auth.js'
import { type BodyStream, isBodyStream, type ReadLimits, readBodyStream } from '../http/body-stream.js'
import { DeadlineQueue } from '../http/deadline-queue.js'
import { type HeadersInput, normaliseHeaders, type TriggerHeaders } from '../http/headers.js'
import { assertIdentityEncoding, assertJsonContentType, parseBody, tooLarge } from '../http/json-body.js'
import { ackReply, type TriggerReply } from '../http/reply.js'
import { type Catalog, catalog } from '../schemas/catalog/index.js'
import { jsonObject } from '../schemas/catalog/refs.js'
import {
  type AnyTrigger,
  defineTrigger,
  type FireAndForgetTrigger,
  SAFE_TRIGGER_LABEL,
  shortName,
} from '../schemas/define-trigger.js'
import { validate } from '../schemas/validate.js'
import type {
  HandlerOptions,
  TriggerContext,
  TriggerHandler,
  TriggerInvocation,
  TriggerLogger,
} from '../types.js'
import { noteRefusal, type RefusalEnv, replyToError, type TriggerRejection } from './rejection.js'

/**
 * Options of {@link createTriggerReceiver}.
 *
 * @example
 * { auth: { type: 'bearer', tokens: [process.env.ISC_TOKEN!] }, bodyLimit: 512 * 1024 }
 */
export interface TriggerReceiverOptions {
  /** How deliveries authenticate; required (`{ type: 'none' }` accepts everyone, said explicitly). */
  auth: AuthOptions
  /** Largest body accepted, in bytes; default 1 MiB. Enforced while reading. */
  bodyLimit?: number
  /** Longest wait for a streamed body, in milliseconds; default 10 000. */
  bodyTimeoutMs?: number
  /** Where failures are reported; default `console`; `false` silences the receiver. */
  logger?: TriggerLogger | false
  /**
   * Receives deliveries of triggers the catalog does not know and no `defineTrigger()` describes
   * (ISC adds triggers before their ids are published). They are handled as fire-and-forget, with
   * the body unvalidated (any JSON object). Without it, such deliveries get a 404. A catalog
   * trigger you registered no handler for is still a 404.
   *
   * @example
   * onUnknownTrigger: async (input, ctx) => queue.push({ trigger: ctx.trigger.id, input })
   */
  onUnknownTrigger?: (input: Record<string, unknown>, ctx: TriggerContext<FireAndForgetTrigger>) => unknown
  /**
   * Receives each authenticated delivery that is refused (400, 404, 408, 413, 415) with its raw
   * body ({@link TriggerRejection}), before the error reply: ISC never redelivers, so this is how
   * you keep it. The reply waits for a returned promise, at most 5 s; a hook that throws or rejects
   * is logged (error name and message) and the reply stays the same. Never called for 401, 405,
   * 409 or 5xx. Without it, `logger.warn` reports each refusal (trigger, status, code, issue paths
   * and codes; never the body or its values).
   *
   * @example
   * onRejected: async ({ trigger, status, code, issues, body, receivedAt }) => {
   *   await deadLetters.insert({ trigger, status, code, issues, body: Buffer.from(body), receivedAt })
   * }
   */
  onRejected?: (rejection: TriggerRejection) => unknown
  /**
   * How ASYNC and DYNAMIC decisions reach ISC: OAuth client credentials for the callback, origins
   * trusted besides ISC's API hosts, the invocation deadline, retries and an outcome hook.
   */
  completion?: CompletionOptions
  /**
   * Runs each delivery's handler once, even when it arrives twice or on several instances: a key is
   * claimed in `store` before the handler runs and released if the handler fails. A duplicate
   * fire-and-forget or ASYNC delivery is acknowledged without running the handler; a duplicate SYNC
   * or DYNAMIC one gets 409. If the store fails, the delivery runs anyway (and is logged): ISC does
   * not redeliver, so losing an event is worse than running it twice.
   */
  dedupe?: DedupeOptions
}

/**
 * One delivery, framework-neutral. `body` may be bytes, a string, a stream not yet read, or an
 * object a body parser already made. `trigger` is the URL segment after the mount path: the full
 * id (`idn:identity-created`) or the name alone (`identity-created`); without it,
 * `_metadata.triggerId` decides.
 *
 * @example
 * { method: 'POST', headers: req.headers, body: rawBytes, trigger: 'identity-created' }
 */
export interface TriggerRequest {
  method: string
  headers?: HeadersInput
  body?: Uint8Array | ArrayBuffer | string | BodyStream | object | null
  trigger?: string | undefined
}

/** Options of `receiver.close()`. */
export interface CloseOptions {
  /** How long to wait for in-flight handlers before aborting their `ctx.signal`; default 10 000 ms. */
  timeoutMs?: number
}

/** What `receiver.close()` did: how long it waited, and how much work it had to abandon. */
export interface CloseReport {
  /** Milliseconds from `close()` to drained (or to the timeout). */
  drainedMs: number
  /** Deliveries and callbacks still running at the timeout (their `ctx.signal` was aborted). */
  abandoned: number
}

/**
 * Receives ISC trigger deliveries: authenticates, reads and validates them, runs the handler and
 * answers as ISC expects. Create it with {@link createTriggerReceiver}.
 */
export interface TriggerReceiver {
  /**
   * Registers the handler of a catalog trigger (one per trigger). Its input is typed from the
   * catalog; a request-response handler returns the decision.
   *
   * @example
   * receiver.on('idn:identity-created', async (input) => { await welcome(input.identity.id) })
   * receiver.on('idn:access-request-pre-approval', async () => ({ approved: true, comment: 'ok', approver: 'svc' }),
   *   { timeoutMs: 5000, fallback: { approved: false, comment: 'timed out', approver: 'svc' } })
   */
  on<Id extends keyof Catalog>(
    id: Id,
    handler: TriggerHandler<Catalog[Id]>,
    options?: HandlerOptions<Catalog[Id]>,
  ): TriggerReceiver
  /**
   * Registers the handler of a trigger described with `defineTrigger()`.
   *
   * @example
   * receiver.on(defineTrigger({ id: 'acme:thing', type: 'fire-and-forget', input: z.looseObject({}) }), handle)
   */
  on<T extends AnyTrigger>(
    trigger: T,
    handler: TriggerHandler<T>,
    options?: HandlerOptions<T>,
  ): TriggerReceiver
  /**
   * Handles one delivery and returns the reply to send. Never throws for a bad request: every
   * failure becomes an error reply.
   *
   * @example
   * const reply = await receiver.handle({ method: 'POST', headers, body, trigger: 'identity-created' })
   */
  handle(request: TriggerRequest): Promise<TriggerReply>
  /**
   * Checks a request's credentials against `auth` (constant time), without handling it: for
   * frameworks' own guards (the NestJS guard uses it). `handle()` checks them anyway.
   *
   * @example
   * if (!(await receiver.authenticate(req.headers))) throw new UnauthorizedException()
   */
  authenticate(headers: HeadersInput): Promise<boolean>
  /**
   * The same for a Web-standard `Request` (Fetch API runtimes, `Bun.serve`, Hono, ...).
   *
   * @example
   * const response = await receiver.fetch(request, 'identity-created')
   */
  fetch(request: Request, trigger?: string): Promise<Response>
  /**
   * Stops accepting deliveries (503 from now on) and waits for in-flight handlers and pending
   * ASYNC/DYNAMIC callbacks, up to `timeoutMs`; then aborts what is left (`ctx.signal`).
   *
   * @example
   * process.on('SIGTERM', () => receiver.close().then(() => server.close()))
   */
  close(options?: CloseOptions): Promise<CloseReport>
}

/**
 * The receiver's callback entry point, for the Node bridge (not exported from the package): see
 * `Receiver[replyTo]`. A {@link TriggerReceiver} without it is called through `handle()`.
 */
export const replyTo = Symbol('isc-triggers.replyTo')

/** A receiver with the callback entry point. */
export interface ReplyingReceiver extends TriggerReceiver {
  [replyTo](request: TriggerRequest, send: (reply: TriggerReply) => void): void
}

const DEFAULT_BODY_LIMIT = 1_048_576
const DEFAULT_BODY_TIMEOUT_MS = 10_000

const consoleLogger: TriggerLogger = {
  error: (message, details) => console.error(`[isc-triggers] ${message}`, details ?? ''),
  warn: (message, details) => console.warn(`[isc-triggers] ${message}`, details ?? ''),
}
const silentLogger: TriggerLogger = { error() {}, warn() {} }

function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new TriggerConfigError(`${name} must be a positive number`)
  return value
}

/** Names what was asked for in a 404 without echoing arbitrary input. */
function label(requested: string): string {
  return SAFE_TRIGGER_LABEL.test(requested) ? `"${requested}"` : 'the requested trigger'
}

class Receiver implements TriggerReceiver {
  readonly #verify: AuthVerifier
  readonly #bodyLimit: number
  /** The deadlines of bodies being read (one timer for all of them). */
  readonly #reads: DeadlineQueue
  readonly #logger: TriggerLogger
  readonly #onUnknownTrigger: TriggerReceiverOptions['onUnknownTrigger']
  readonly #readLimits: ReadLimits
  readonly #refusals: RefusalEnv
  readonly #dedupe: DedupeOptions | undefined
  readonly #dedupeTtl: number
  /** Handlers by full id and by unambiguous short name (`null` marks an ambiguous one). */
  readonly #byId = new Map<string, HandlerEntry>()
  readonly #byName = new Map<string, HandlerEntry | null>()
  readonly #closing = new AbortController()
  readonly #background = new Set<Promise<unknown>>()
  readonly #env: DispatchEnv
  #active = 0
  #closed = false
  #onIdle: (() => void) | undefined

  constructor(options: TriggerReceiverOptions) {
    if (!options || typeof options !== 'object')
      throw new TriggerConfigError('createTriggerReceiver needs options')
    this.#verify = createAuthVerifier(options.auth)
    this.#bodyLimit = positiveOption('bodyLimit', options.bodyLimit, DEFAULT_BODY_LIMIT)
    this.#reads = new DeadlineQueue(
      positiveOption('bodyTimeoutMs', options.bodyTimeoutMs, DEFAULT_BODY_TIMEOUT_MS),
    )
    this.#logger = options.logger === false ? silentLogger : (options.logger ?? consoleLogger)
    if (options.onUnknownTrigger !== undefined && typeof options.onUnknownTrigger !== 'function')
      throw new TriggerConfigError('onUnknownTrigger must be a function (input, ctx) => unknown')
    this.#onUnknownTrigger = options.onUnknownTrigger
    if (options.onRejected !== undefined && typeof options.onRejected !== 'function')
      throw new TriggerConfigError('onRejected must be a function (rejection) => unknown')
    this.#readLimits = { limit: this.#bodyLimit, deadlines: this.#reads }
    this.#refusals = { onRejected: options.onRejected, logger: this.#logger, limits: this.#readLimits }
    if (options.dedupe !== undefined && typeof options.dedupe?.store?.claim !== 'function')
      throw new TriggerConfigError(
        'dedupe.store must be a DedupeStore (createMemoryDedupeStore(), createRedisDedupeStore(client))',
      )
    this.#dedupe = options.dedupe
    this.#dedupeTtl = options.dedupe ? dedupeTtl(options.dedupe) : 0
    const completion = options.completion ?? {}
    this.#env = {
      logger: this.#logger,
      closing: this.#closing.signal,
      track: (work) => this.#track(work),
      completion: createCompletionClient(completion),
      allowedCallbackOrigins: normaliseOrigins(completion.allowedCallbackOrigins),
      deadlineMs: completion.deadlineMs ?? 3_600_000,
    }
  }

  on(target: string | AnyTrigger, handler: unknown, options?: object): TriggerReceiver {
    const trigger = typeof target === 'string' ? catalog[target as keyof Catalog] : target
    if (!trigger)
      throw new TriggerConfigError(
        `on(${JSON.stringify(target)}): not a catalog trigger id; describe it with defineTrigger() and pass the definition`,
      )
    if (this.#byId.has(trigger.id))
      throw new TriggerConfigError(`on(${trigger.id}): a handler is already registered`)
    const entry = createHandlerEntry(trigger, handler, options)
    this.#byId.set(trigger.id, entry)
    const name = shortName(trigger.id)
    this.#byName.set(name, this.#byName.has(name) ? null : entry)
    return this
  }

  handle(request: TriggerRequest): Promise<TriggerReply> {
    return new Promise((resolve) => this[replyTo](request, resolve))
  }

  /**
   * Handles one delivery and passes the reply to `send`: at once when nothing has to wait (a body
   * already read, a handler that returns without a promise), else when it is ready. No promise is
   * made or awaited on the way that the delivery does not need; each would cost every request a
   * microtask. `send` is called exactly once.
   */
  [replyTo](request: TriggerRequest, send: (reply: TriggerReply) => void): void {
    this.#active++
    let outcome: TriggerReply | Promise<TriggerReply>
    try {
      outcome = this.#process(request)
    } catch (error) {
      outcome = replyToError(error, this.#refusals)
    }
    if (!(outcome instanceof Promise)) {
      this.#finished()
      send(outcome)
      return
    }
    outcome.then(
      (reply) => {
        this.#finished()
        send(reply)
      },
      (error: unknown) => this.#refuse(error, send),
    )
  }

  /** Answers a failed delivery; a refusal waits for onRejected (replyToError never rejects). */
  #refuse(error: unknown, send: (reply: TriggerReply) => void): void {
    const outcome = replyToError(error, this.#refusals)
    if (!(outcome instanceof Promise)) {
      this.#finished()
      send(outcome)
      return
    }
    outcome.then((reply) => {
      this.#finished()
      send(reply)
    })
  }

  #finished(): void {
    if (--this.#active === 0) this.#onIdle?.()
  }

  async authenticate(headers: HeadersInput): Promise<boolean> {
    try {
      await this.#verify(normaliseHeaders(headers))
      return true
    } catch (error) {
      if (error instanceof TriggerError && error.code === 'UNAUTHORIZED') return false
      throw error
    }
  }

  async fetch(request: Request, trigger?: string): Promise<Response> {
    const reply = await this.handle({
      method: request.method,
      headers: request.headers,
      body: request.body,
      trigger,
    })
    return new Response(reply.body, { status: reply.status, headers: reply.headers })
  }

  async close({ timeoutMs = 10_000 }: CloseOptions = {}): Promise<CloseReport> {
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

  /** Keeps background work visible to close(); its outcome is the caller's to report. */
  #track(work: Promise<unknown>): void {
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

  /** Checks, reads, validates and dispatches one delivery; synchronous wherever nothing waits. */
  #process(request: TriggerRequest): TriggerReply | Promise<TriggerReply> {
    const receivedAt = new Date()
    if (request.method !== 'POST')
      throw new TriggerError('METHOD_NOT_ALLOWED', 'Triggers are delivered with POST', {
        headers: { allow: 'POST' },
      })
    if (this.#closed) throw new TriggerError('SHUTTING_DOWN', 'The receiver is shutting down')
    const headers = normaliseHeaders(request.headers)
    const verifying = this.#verify(headers) // only a custom verifier may be asynchronous
    if (verifying) return verifying.then(() => this.#receive(request, headers, receivedAt))
    return this.#receive(request, headers, receivedAt)
  }

  #receive(
    request: TriggerRequest,
    headers: TriggerHeaders,
    receivedAt: Date,
  ): TriggerReply | Promise<TriggerReply> {
    // Every refusal from here on is of an authenticated delivery: noteRefusal() marks it for
    // onRejected with the body as it is at that point (only failures pay for it).
    const asked = request.trigger
    const body = request.body
    let named: HandlerEntry | undefined
    try {
      assertJsonContentType(headers['content-type'])
      assertIdentityEncoding(headers['content-encoding'])
      // A trigger named in the URL is resolved before the body is read.
      named = asked ? this.#resolve(asked) : undefined
      this.#checkDeclaredLength(headers)
    } catch (error) {
      throw noteRefusal(error, body, asked, receivedAt)
    }
    if (isBodyStream(body))
      return readBodyStream(body, this.#readLimits).then(
        (bytes) => this.#deliver(bytes, named, asked, receivedAt),
        (error: unknown) => {
          throw noteRefusal(error, body, asked, receivedAt)
        },
      )
    return this.#deliver(body ?? '', named, asked, receivedAt)
  }

  /** Parses, validates and dispatches a body in memory (`raw`: as received, for onRejected). */
  #deliver(
    raw: Uint8Array | ArrayBuffer | string | object,
    named: HandlerEntry | undefined,
    asked: string | undefined,
    receivedAt: Date,
  ): TriggerReply | Promise<TriggerReply> {
    let invocation: TriggerInvocation | undefined
    try {
      const split = splitMetadata(parseBody(raw, this.#bodyLimit))
      invocation = split.invocation
      const input = split.input
      const entry = named ?? this.#resolveFromMetadata(invocation)
      const trigger = entry.trigger
      const payload = entry.inputIsValid(input)
        ? input
        : validate(trigger.input, input, 'INVALID_PAYLOAD', `payload of ${trigger.id}`)
      const key = this.#dedupe ? dedupeKey(this.#dedupe, trigger, payload, invocation) : undefined
      if (key === undefined) return dispatch(entry, payload, invocation, receivedAt, this.#env)
      return this.#dispatchOnce(key, entry, payload, invocation, receivedAt, raw, asked)
    } catch (error) {
      throw noteRefusal(error, raw, asked ?? invocation?.triggerId, receivedAt)
    }
  }

  /**
   * Dispatches only if this delivery's key is claimed here first; gives the claim back on failure.
   * `raw` and `asked` are for onRejected, should the callback prove invalid.
   */
  async #dispatchOnce(
    key: string,
    entry: HandlerEntry,
    payload: unknown,
    invocation: TriggerInvocation | undefined,
    receivedAt: Date,
    raw: unknown,
    asked: string | undefined,
  ): Promise<TriggerReply> {
    const store = this.#dedupe!.store
    let claimed: boolean
    try {
      claimed = await store.claim(key, this.#dedupeTtl)
    } catch (error) {
      this.#logger.error(`The dedupe store failed; ${entry.trigger.id} runs without deduplication`, { error })
      return dispatch(entry, payload, invocation, receivedAt, this.#env)
    }
    if (!claimed) {
      if (entry.trigger.type === 'fire-and-forget' || entry.mode === 'async') return ackReply()
      throw new TriggerError(
        'DUPLICATE_DELIVERY',
        `This ${entry.trigger.id} delivery is already being handled`,
      )
    }
    let reply: TriggerReply
    try {
      reply = await dispatch(entry, payload, invocation, receivedAt, this.#env)
    } catch (error) {
      await Promise.resolve(store.release(key)).catch(() => {})
      throw noteRefusal(error, raw, asked ?? invocation?.triggerId, receivedAt) // an invalid callback
    }
    if (reply.status >= 500) await Promise.resolve(store.release(key)).catch(() => {})
    return reply
  }

  /**
   * The declared length is checked whatever state the body is in: it is the only size left to
   * check when a framework's parser already turned the body into an object.
   */
  #checkDeclaredLength(headers: TriggerHeaders): void {
    const length = headers['content-length']
    if (length !== undefined && Number(length) > this.#bodyLimit) throw tooLarge(this.#bodyLimit)
  }

  #resolve(requested: string): HandlerEntry {
    const entry = this.#byId.get(requested) ?? this.#byName.get(requested)
    if (entry) return entry
    const known = requested in catalog || `idn:${requested}` in catalog
    if (!known && this.#onUnknownTrigger && SAFE_TRIGGER_LABEL.test(requested)) {
      const trigger = defineTrigger({ id: requested, type: 'fire-and-forget', input: jsonObject })
      return createHandlerEntry(trigger, this.#onUnknownTrigger, undefined)
    }
    throw new TriggerError(
      'UNKNOWN_TRIGGER',
      known
        ? `No handler is registered for trigger ${label(requested)}`
        : `Unknown trigger ${label(requested)}`,
    )
  }

  #resolveFromMetadata(invocation: TriggerInvocation | undefined): HandlerEntry {
    if (invocation?.triggerId) return this.#resolve(invocation.triggerId)
    throw new TriggerError(
      'UNKNOWN_TRIGGER',
      'No trigger was named: deliver to <mount path>/<trigger> (e.g. /identity-created) or send _metadata.triggerId',
    )
  }
}

/**
 * Creates a receiver of ISC trigger deliveries. Register handlers with `on()`, then mount it with
 * `toNodeHandler()`, an adapter (`@isc-triggers/express`, ...), or call `handle()`/`fetch()`.
 *
 * @example
 * const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [process.env.ISC_TOKEN!] } })
 * receiver.on('idn:identity-created', async (input) => console.log(input.identity.name))
 * http.createServer(toNodeHandler(receiver, { path: '/isc/triggers' })).listen(3000)
 */
export function createTriggerReceiver(options: TriggerReceiverOptions): TriggerReceiver {
  return new Receiver(options)
}
