import type { IncomingMessage, ServerResponse } from 'node:http'
import { TriggerError } from '../errors.js'
import { keepReceived } from '../http/body-stream.js'
import { bodyParserFailure } from '../http/json-body.js'
import { type TriggerReply, toErrorReply } from '../http/reply.js'
import {
  type ReplyingReceiver,
  replyTo,
  type TriggerReceiver,
  type TriggerRequest,
} from '../receiver/receiver.js'

/**
 * Options of {@link toNodeHandler}.
 *
 * @example
 * toNodeHandler(receiver, { path: '/isc/triggers' })
 */
export interface NodeHandlerOptions {
  /**
   * The mount path: deliveries go to `<path>/<trigger>` (or `<path>` with `_metadata.triggerId`).
   * Default `/`. Other paths go to `next()` when there is one, else get a 404.
   */
  path?: string
}

/** A `(req, res, next?)` function for `node:http`, Express, Connect and anything built on Node's req/res. */
export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void

/** A Connect/Express error handler `(error, req, res, next)`. */
export type NodeErrorHandler = (
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void

/** Per-call overrides an adapter may pass: the body its framework already read, the trigger it routed. */
export interface NodeDelivery {
  /** The body a framework already read (raw bytes/string preferred over a parsed object). */
  body?: TriggerRequest['body']
  /**
   * Where the framework's body parser leaves `body` and `rawBody`, when not on `req` (Koa's
   * `ctx.request`). Used only once the stream was read: the parsed body first, else the raw one.
   */
  parsed?: ParsedBody
  /** The trigger segment, when the framework's router extracted it. */
  trigger?: string | undefined
  /**
   * The error a framework's body parser raised before the receiver ran (malformed JSON, over its
   * limit, ...). It is answered in the receiver's format, after authentication; an error that is
   * not a body parser's is rethrown.
   */
  parserError?: unknown
}

/** Where body-parsing middleware leaves its results (on `req` for Express and Nest). */
interface ParsedBody {
  rawBody?: unknown
  body?: unknown
}

/** A request as body-parser marks it (`_body` once it read the stream). */
type ParsedRequest = IncomingMessage & { _body?: boolean }

/**
 * Finds the body in whatever state a framework left it: the stream itself when nobody read it
 * (the raw bytes, read within the limits), else what the framework's body parser kept: its parsed
 * object (`express.json()`, Nest's parser, `@koa/bodyparser`; this spares a second parse), or the
 * raw body (`req.rawBody`, `express.raw()`, `express.text()`). If the stream was read and nothing
 * was kept, reading it reports BODY_CONSUMED.
 */
function bodyOf(req: ParsedRequest, holder: ParsedBody = req as ParsedBody): TriggerRequest['body'] {
  // Express 4's body-parser sets `req.body = {}` even when it does not read the stream.
  if (!req.readableEnded && req._body !== true) return req
  if (holder.body !== undefined && holder.body !== null) return holder.body as TriggerRequest['body']
  const raw = holder.rawBody
  if (typeof raw === 'string' || raw instanceof Uint8Array) return raw
  return req
}

function normalisePath(path: string | undefined): string {
  if (!path || path === '/') return ''
  const withSlash = path.startsWith('/') ? path : `/${path}`
  return withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash
}

/**
 * The trigger segment of `url` under the mount path `base`: `''` for the mount path itself,
 * `undefined` when the URL is not the receiver's (elsewhere, or nested deeper than one segment).
 * Adapters without their own router use it to decide between handling a request and `next()`.
 *
 * @example
 * triggerSegment('/isc/triggers/identity-created?x=1', '/isc/triggers') // 'identity-created'
 * triggerSegment('/health', '/isc/triggers') // undefined
 */
export function triggerSegment(url: string, base: string): string | undefined {
  return segmentUnder(url, normalisePath(base))
}

/** {@link triggerSegment} with a mount path already normalised (the per-request path). */
function segmentUnder(url: string, base: string): string | undefined {
  const query = url.indexOf('?')
  let pathname = query === -1 ? url : url.slice(0, query)
  if (base !== '') {
    if (!pathname.startsWith(base)) return undefined
    pathname = pathname.slice(base.length)
  }
  if (pathname === '' || pathname === '/') return ''
  if (pathname.charCodeAt(0) !== 47 /* / */) return undefined
  const end = pathname.endsWith('/') ? pathname.length - 1 : pathname.length
  const segment = pathname.slice(1, end)
  if (segment.includes('/')) return undefined
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

/**
 * Writes a reply to a Node response.
 *
 * @example
 * writeReply(res, await receiver.handle(request))
 */
export function writeReply(res: ServerResponse, reply: TriggerReply): void {
  if (res.headersSent) return
  res.writeHead(reply.status, reply.headers)
  res.end(reply.body)
}

/**
 * Handles one Node request with the receiver and returns the reply, for adapters that write it
 * in their framework's idiom (Koa's `ctx.status`/`ctx.body`).
 *
 * @example
 * const reply = await receiveNodeRequest(receiver, ctx.req, { trigger: ctx.params.trigger, parsed: ctx.request })
 */
export function receiveNodeRequest(
  receiver: TriggerReceiver,
  req: IncomingMessage,
  delivery: NodeDelivery = {},
): Promise<TriggerReply> {
  let request: TriggerRequest
  try {
    request = toTriggerRequest(req, delivery)
  } catch (error) {
    return Promise.reject(error)
  }
  return receiver.handle(request)
}

/**
 * Handles one Node request with the receiver and writes the reply. Adapters call this with the
 * body and trigger their framework already found.
 *
 * @example
 * await handleNodeRequest(receiver, req, res, { trigger: req.params.trigger })
 */
export function handleNodeRequest(
  receiver: TriggerReceiver,
  req: IncomingMessage,
  res: ServerResponse,
  delivery: NodeDelivery = {},
): Promise<void> {
  return new Promise((resolve, reject) =>
    deliver(receiver, req, res, delivery, (error) => (error === undefined ? resolve() : reject(error))),
  )
}

/** The delivery as the receiver takes it; throws an error a framework raised that is not a body parser's. */
function toTriggerRequest(req: IncomingMessage, delivery: NodeDelivery): TriggerRequest {
  let body = delivery.body ?? bodyOf(req as ParsedRequest, delivery.parsed)
  if (delivery.parserError !== undefined) {
    const failure = bodyParserFailure(delivery.parserError)
    if (!failure) throw delivery.parserError
    // body-parser and co-body keep the text they failed to parse on the error: onRejected gets it.
    const text = (delivery.parserError as { body?: unknown }).body
    if (typeof text === 'string' || text instanceof Uint8Array) keepReceived(failure, text)
    body = failingBody(failure)
  }
  return { method: req.method ?? 'GET', headers: req.headers, body, trigger: delivery.trigger }
}

/**
 * Handles one Node request and writes the reply, then calls `done()`; `done(error)` when the
 * request is not one to answer (a framework's own error) or the reply could not be written.
 * Without promises on the way when the receiver is this package's (see `replyTo`).
 */
function deliver(
  receiver: TriggerReceiver,
  req: IncomingMessage,
  res: ServerResponse,
  delivery: NodeDelivery,
  done: (error?: unknown) => void,
): void {
  let request: TriggerRequest
  try {
    request = toTriggerRequest(req, delivery)
  } catch (error) {
    done(error)
    return
  }
  const send = (reply: TriggerReply) => {
    try {
      writeReply(res, reply)
    } catch (error) {
      done(error)
      return
    }
    done()
  }
  if (replyTo in receiver) (receiver as ReplyingReceiver)[replyTo](request, send)
  else receiver.handle(request).then(send, (error: unknown) => send(toErrorReply(error)))
}

/** A body whose reading fails as the parser did, so the receiver answers it in its order (auth first). */
function failingBody(failure: TriggerError): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(failure) }) }
}

/**
 * Turns a receiver into a `node:http` request listener (and Connect/Express-style middleware):
 * POST `<path>/<trigger>` is handled; anything else goes to `next()`, or gets a 404 without one.
 *
 * @example
 * http.createServer(toNodeHandler(receiver, { path: '/isc/triggers' })).listen(3000)
 * // POST /isc/triggers/identity-created → 200 {}
 */
export function toNodeHandler(receiver: TriggerReceiver, options: NodeHandlerOptions = {}): NodeHandler {
  const base = normalisePath(options.path)
  return (req, res, next) => deliverAt(base, receiver, req, res, next, undefined)
}

/**
 * The error-handling twin of {@link toNodeHandler}: when a body parser that ran first (such as
 * `express.json()`) failed on a delivery, the receiver answers it in its own JSON format. Other
 * errors, and other paths, go on to `next(error)`.
 *
 * @example
 * app.use('/isc/triggers', toNodeHandler(receiver), toNodeErrorHandler(receiver))
 */
export function toNodeErrorHandler(
  receiver: TriggerReceiver,
  options: NodeHandlerOptions = {},
): NodeErrorHandler {
  const base = normalisePath(options.path)
  return (error, req, res, next) => {
    if (bodyParserFailure(error) === undefined) next(error)
    else deliverAt(base, receiver, req, res, () => next(error), error)
  }
}

function deliverAt(
  base: string,
  receiver: TriggerReceiver,
  req: IncomingMessage,
  res: ServerResponse,
  next: ((error?: unknown) => void) | undefined,
  parserError: unknown,
): void {
  const segment = segmentUnder(req.url ?? '/', base)
  if (segment === undefined) {
    if (next) next()
    else writeReply(res, toErrorReply(new TriggerError('UNKNOWN_TRIGGER', 'Nothing is mounted at this path')))
    return
  }
  const trigger = segment === '' ? undefined : segment
  deliver(receiver, req, res, { trigger, parserError }, (error) => {
    if (error === undefined) return
    if (next) next(error)
    else if (!res.headersSent) writeReply(res, toErrorReply(error))
    else res.destroy()
  })
}
