import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TriggerError } from '../errors.js'
import { keepReceived } from '../http/body-stream.js'
import { bodyParserFailure } from '../http/json-body.js'
import { type TriggerReply, toErrorReply } from '../http/reply.js'
import {
  type ReplyingReceiver,
  replyTo,
  type TriggerReceiver,
  type TriggerRequest,
} from '../receiver/receiver.js'

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

/**
 * Writes a reply to a Node response (with {@link closingOnError}'s `Connection: close` on an error).
 *
 * @example
 * writeReply(res, await receiver.handle(request))
 */
export function writeReply(res: ServerResponse, reply: TriggerReply): void {
  if (res.headersSent) return
  res.writeHead(reply.status, closingOnError(reply, res.req).headers)
  res.end(reply.body)
}

/**
 * The reply as the Node bridge sends it. A refused or failed request (status 400 and above) closes
 * its connection: `Connection: close`, after which Node ends the socket once the reply is written.
 * Otherwise a client could hold the connection open by trickling the rest of a body nobody reads
 * (Node discards an unread body on a kept-alive connection for as long as it keeps coming).
 * Adapters that write replies themselves (Koa) get it from {@link receiveNodeRequest}.
 * Not over HTTP/2 (`req.httpVersionMajor` 2, Fastify's `http2: true`), which has no `Connection`
 * header (Node drops it with a warning) and frames each body in its own stream.
 *
 * @example
 * closingOnError(toErrorReply(new TriggerError('UNAUTHORIZED', 'Missing credentials'))).headers.connection // 'close'
 */
export function closingOnError(reply: TriggerReply, req?: { httpVersionMajor?: number }): TriggerReply {
  if (reply.status < 400 || reply.headers.connection === 'close') return reply
  if ((req?.httpVersionMajor ?? 1) >= 2) return reply
  return { ...reply, headers: { ...reply.headers, connection: 'close' } }
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
  return receiver.handle(request).then((reply) => closingOnError(reply, req))
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
 * Handles one Node request and passes the reply (with {@link closingOnError}'s `Connection: close`
 * on an error) to `send`, for adapters that write it in their framework's idiom from a callback
 * (Fastify's `reply.send()`): {@link receiveNodeRequest} without a promise on the way when the
 * receiver is this package's. `fail` gets an error a framework raised that is not a body parser's,
 * or one `send` threw.
 *
 * @example
 * answerNodeRequest(receiver, request.raw, { trigger }, (answer) => reply.code(answer.status).headers(answer.headers).send(answer.body), (error) => reply.send(error))
 */
export function answerNodeRequest(
  receiver: TriggerReceiver,
  req: IncomingMessage,
  delivery: NodeDelivery,
  send: (reply: TriggerReply) => void,
  fail: (error: unknown) => void,
): void {
  let request: TriggerRequest
  try {
    request = toTriggerRequest(req, delivery)
  } catch (error) {
    fail(error)
    return
  }
  const answer = (reply: TriggerReply) => {
    try {
      send(closingOnError(reply, req))
    } catch (error) {
      fail(error)
    }
  }
  if (replyTo in receiver) (receiver as ReplyingReceiver)[replyTo](request, answer)
  else receiver.handle(request).then(answer, (error: unknown) => answer(toErrorReply(error)))
}

/**
 * Handles one Node request and writes the reply, then calls `done()`; `done(error)` when the
 * request is not one to answer (a framework's own error) or the reply could not be written.
 * Without promises on the way when the receiver is this package's (see `replyTo`).
 */
export function deliver(
  receiver: TriggerReceiver,
  req: IncomingMessage,
  res: ServerResponse,
  delivery: NodeDelivery,
  done: (error?: unknown) => void,
): void {
  const send = (reply: TriggerReply) => {
    writeReply(res, reply)
    done()
  }
  answerNodeRequest(receiver, req, delivery, send, done)
}

/** A body whose reading fails as the parser did, so the receiver answers it in its order (auth first). */
function failingBody(failure: TriggerError): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(failure) }) }
}
