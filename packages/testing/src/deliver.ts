import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type RequestListener, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TriggerId, TriggerInput, TriggerReceiver } from '@isc-triggers/core'
import type { FakeIsc, ReceivedAttempt } from './fake-isc.js'
import { sampleInput } from './sample-builders.js'

/**
 * Where to deliver: a base URL (the mount path, e.g. `http://127.0.0.1:3000/isc/triggers`), an HTTP
 * server or request listener (an Express app), a Koa app (`.callback()`), a Nest application
 * (`.getHttpServer()`), or a receiver (`.handle()`).
 */
export type DeliveryTarget =
  | string
  | Server
  | RequestListener
  | { callback(): RequestListener }
  | { getHttpServer(): Server }
  | TriggerReceiver

export interface DeliverOptions {
  /** `Authorization: Bearer <token>`, as a BEARER_TOKEN subscription sends. */
  bearer?: string
  /** `Authorization: Basic ...`, as a BASIC_AUTH subscription sends. */
  basic?: { username: string; password: string }
  /**
   * The subscription's response mode, for a request-response trigger: `async` and `dynamic` add
   * `_metadata` with a callback URL on a fake ISC and a secret. Default `sync`.
   */
  mode?: 'sync' | 'async' | 'dynamic'
  /**
   * The fake ISC receiving callbacks, required in `async` and `dynamic` mode. The service must trust
   * its origin: `completion: { allowedCallbackOrigins: [isc.origin] }`.
   */
  isc?: FakeIsc
  /** Where an app mounts the receiver; default `/isc/triggers`. */
  mountPath?: string
  /** Longest wait for the reply, and for the completion, in ms; default 15 000. */
  timeoutMs?: number
}

/** What the service answered, and for ASYNC/DYNAMIC the completion the fake ISC received. */
export interface Delivered {
  status: number
  headers: Record<string, string>
  /** The reply body, parsed when it is JSON. */
  body: unknown
  durationMs: number
  /** The invocation ISC would have sent (`_metadata`), for request-response deliveries in async/dynamic mode. */
  invocationId?: string
  /** Resolves with the callback the service made (ASYNC, or DYNAMIC answered 202). */
  completion?: Promise<ReceivedAttempt>
}

function authorization(options: DeliverOptions): Record<string, string> {
  if (options.bearer !== undefined) return { authorization: `Bearer ${options.bearer}` }
  if (options.basic) {
    const encoded = Buffer.from(`${options.basic.username}:${options.basic.password}`, 'utf8').toString(
      'base64',
    )
    return { authorization: `Basic ${encoded}` }
  }
  return {}
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

async function listen(
  listener: RequestListener | Server,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = listener instanceof Server ? listener : createServer(listener)
  const wasListening = server.listening
  if (!wasListening) {
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
  }
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      wasListening ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const isReceiver = (target: DeliveryTarget): target is TriggerReceiver =>
  typeof target === 'object' && typeof (target as TriggerReceiver).handle === 'function'

/**
 * Delivers a trigger exactly as ISC does: POST, a JSON body (the catalog's sample unless you give
 * one), the subscription's Basic or Bearer header, and for a request-response trigger in `async` or
 * `dynamic` mode `_metadata` with a callback URL on a fake ISC and a secret.
 *
 * @example
 * const reply = await deliver(app, 'idn:identity-created', undefined, { bearer: 'test-token' })
 * expect(reply.status).toBe(200)
 *
 * const isc = await startFakeIsc() // and completion: { allowedCallbackOrigins: [isc.origin] } in the service
 * const decision = await deliver(app, 'idn:access-request-pre-approval', undefined, { bearer, mode: 'async', isc })
 * expect((await decision.completion)?.body).toMatchObject({ output: { approved: true } })
 */
export async function deliver<Id extends TriggerId>(
  target: DeliveryTarget,
  id: Id,
  input?: TriggerInput<Id> | Record<string, unknown>,
  options: DeliverOptions = {},
): Promise<Delivered> {
  const timeoutMs = options.timeoutMs ?? 15_000
  const name = id.slice(id.indexOf(':') + 1)
  const payload: Record<string, unknown> = { ...(input ?? sampleInput(id)) }
  const mode = options.mode ?? 'sync'
  const isc = options.isc
  let invocationId: string | undefined
  if (mode !== 'sync') {
    if (!isc)
      throw new Error(
        `deliver(): mode '${mode}' needs options.isc (await startFakeIsc()), whose origin the service lists in completion.allowedCallbackOrigins`,
      )
    invocationId = randomUUID()
    payload._metadata = {
      callbackURL: isc.callbackURL(invocationId),
      secret: randomUUID(),
      triggerId: id,
      triggerType: 'requestResponse',
      responseMode: 'async',
    }
  }
  const headers = { 'content-type': 'application/json', ...authorization(options) }
  const body = JSON.stringify(payload)
  const started = performance.now()
  let reply: { status: number; headers: Record<string, string>; text: string }
  if (isReceiver(target)) {
    const answer = await target.handle({ method: 'POST', headers, body, trigger: name })
    reply = { status: answer.status, headers: answer.headers, text: answer.body }
  } else {
    const listener =
      typeof target === 'string'
        ? undefined
        : 'getHttpServer' in target
          ? target.getHttpServer()
          : 'callback' in target
            ? target.callback()
            : (target as RequestListener | Server)
    const server = listener ? await listen(listener) : undefined
    try {
      const base = server ? `${server.url}${options.mountPath ?? '/isc/triggers'}` : (target as string)
      const response = await fetch(`${base.replace(/\/$/, '')}/${name}`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      })
      const responseHeaders: Record<string, string> = {}
      response.headers.forEach((value, key) => {
        responseHeaders[key] = value
      })
      reply = { status: response.status, headers: responseHeaders, text: await response.text() }
    } finally {
      await server?.close()
    }
  }
  const delivered: Delivered = {
    status: reply.status,
    headers: reply.headers,
    body: parse(reply.text),
    durationMs: performance.now() - started,
  }
  if (invocationId !== undefined && isc) {
    delivered.invocationId = invocationId
    if (reply.status === 202 || (mode === 'async' && reply.status === 200))
      delivered.completion = isc.waitForCompletion(invocationId, timeoutMs)
  }
  return delivered
}
