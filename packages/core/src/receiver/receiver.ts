import { DEFAULT_CLOSE_TIMEOUT_MS } from '../defaults.js'
import { errorSummary, isTriggerError, TriggerConfigError } from '../errors.js'
import type { BodyStream } from '../http/body-stream.js'
import { type HeadersInput, normaliseHeaders } from '../http/headers.js'
import type { TriggerReply } from '../http/reply.js'
import { createQueuedRunner, type QueuedDeliveryRunner } from '../queue/queued-runner.js'
import type { Catalog } from '../schemas/catalog/index.js'
import type { AnyTrigger } from '../schemas/define-trigger.js'
import type { HandlerOptions, TriggerHandler } from '../types.js'
import { HandlerRegistry } from './handler-registry.js'
import { type CloseReport, Lifecycle } from './lifecycle.js'
import { DeliveryPipeline } from './pipeline.js'
import {
  type ReceiverSettings,
  resolveReceiverOptions,
  type TriggerReceiverOptions,
} from './receiver-options.js'

export type { CloseReport } from './lifecycle.js'
export type { TriggerReceiverOptions } from './receiver-options.js'

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
  /** How long to wait for in-flight work before stopping it (signals, callback retries); default 10 000 ms. */
  timeoutMs?: number
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
   * Stops accepting deliveries (503 from now on) and waits for in-flight handlers, pending
   * enqueues and pending ASYNC/DYNAMIC callbacks, up to `timeoutMs`; then stops what is left: every running handler's
   * `ctx.signal` aborts, every callback still retrying stops (outcome `abandoned`) and its timers
   * are cleared, so the process can exit. The report counts what was stopped. A `queue`'s
   * connections are closed last.
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

/** The receiver's worker side, for {@link queuedDeliveries} (not exported from the package). */
const workerSide = Symbol('isc-triggers.workerSide')

/**
 * The receiver's delivery pipeline, for the entry points of settled-delivery.ts (hosts that
 * freeze after the reply, trusted events); not exported from the package.
 */
export const pipelineOf = Symbol('isc-triggers.pipeline')

/** A receiver with the callback entry point. */
export interface ReplyingReceiver extends TriggerReceiver {
  [replyTo](request: TriggerRequest, send: (reply: TriggerReply) => void): void
}

class Receiver implements ReplyingReceiver {
  readonly #verify: ReceiverSettings['verify']
  readonly #handlers: HandlerRegistry
  readonly #lifecycle: Lifecycle
  readonly #pipeline: DeliveryPipeline
  readonly #queue: ReceiverSettings['queue']
  readonly [workerSide]: QueuedDeliveryRunner
  readonly [pipelineOf]: DeliveryPipeline

  constructor(options: TriggerReceiverOptions) {
    const settings = resolveReceiverOptions(options)
    this.#verify = settings.verify
    this.#handlers = new HandlerRegistry(settings.onUnknownTrigger)
    this.#lifecycle = new Lifecycle(settings.logger)
    this.#pipeline = new DeliveryPipeline(settings, this.#handlers, this.#lifecycle)
    this[pipelineOf] = this.#pipeline
    this.#queue = settings.queue
    this[workerSide] = createQueuedRunner(settings.queue, this.#handlers, this.#pipeline.env)
  }

  on(target: string | AnyTrigger, handler: unknown, options?: object): TriggerReceiver {
    this.#handlers.add(target, handler, options)
    return this
  }

  handle(request: TriggerRequest): Promise<TriggerReply> {
    return new Promise((resolve) => this.#pipeline.answer(request, resolve))
  }

  [replyTo](request: TriggerRequest, send: (reply: TriggerReply) => void): void {
    this.#pipeline.answer(request, send)
  }

  async authenticate(headers: HeadersInput): Promise<boolean> {
    try {
      await this.#verify(normaliseHeaders(headers))
      return true
    } catch (error) {
      if (isTriggerError(error) && error.code === 'UNAUTHORIZED') return false
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

  async close({ timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS }: CloseOptions = {}): Promise<CloseReport> {
    const report = await this.#lifecycle.close(timeoutMs)
    // Every delivery is answered (its enqueue done or given up): the queue's connections can go,
    // within the same time limit (a queue whose store stopped answering must not hold close()).
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs)
    })
    await Promise.race([this.#closeQueue(), late])
    clearTimeout(timer)
    return report
  }

  #queueClosed: Promise<void> | undefined

  #closeQueue(): Promise<void> {
    this.#queueClosed ??= (async () => {
      try {
        await this.#queue?.close()
      } catch (error) {
        this[workerSide].logger.error('The queue failed to close', { error: errorSummary(error) })
      }
    })()
    return this.#queueClosed
  }
}

/**
 * The worker side of a receiver: what a queue engine's worker uses to run stored deliveries
 * through the receiver's handlers and completion client. Throws TriggerConfigError for anything
 * not made by `createTriggerReceiver`.
 *
 * @example
 * const runner = queuedDeliveries(receiver)
 * await runner.run(delivery, { signal })
 */
export function queuedDeliveries(receiver: TriggerReceiver): QueuedDeliveryRunner {
  const runner = (receiver as Partial<Receiver> | null)?.[workerSide]
  if (!runner)
    throw new TriggerConfigError('queuedDeliveries needs a receiver made by createTriggerReceiver()')
  return runner
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
