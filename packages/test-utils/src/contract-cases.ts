import { gzipSync } from 'node:zlib'
import type {
  TriggerContext,
  TriggerReceiver,
  TriggerReceiverOptions,
  TriggerRejection,
} from '@isc-triggers/core'
import { expect } from 'vitest'
import {
  AUTHORISED,
  type HarnessRequest,
  type HarnessResponse,
  JSON_HEADERS,
  MOUNT,
  post,
} from './contract-http.js'
import { basic, bearer, ROTATED_TOKEN, TEST_BASIC, TEST_TOKEN } from './credentials.js'
import { identityCreatedSample, invocationMetadata, preApprovalSample } from './fixtures.js'
import { createGate, type Gate } from './gate.js'

// The reply-table part of the adapter contract: one case per row of DESIGN.md's reply table, as far
// as the receiver implements it. adapter-contract.ts runs them through each adapter's harness.

const PRE_APPROVAL_OUTPUT = { approved: true, comment: 'auto-approved', approver: 'svc-approvals' }
const FALLBACK = { approved: false, comment: 'timed out', approver: 'svc-approvals' }
const SECRET_IN_VALUE = 'do-not-echo-7d41'

export type Calls = { input: unknown; ctx: TriggerContext }[]

export interface Case {
  name: string
  options?: Partial<TriggerReceiverOptions>
  /** Registers handlers; the default registers recording handlers for both sample triggers. */
  setup?: (receiver: TriggerReceiver, calls: Calls) => void
  request: HarnessRequest
  status: number
  code?: string
  body?: unknown
  headers?: Record<string, string | RegExp>
  handlerCalls?: number
  /** Strings that must not appear in the reply. */
  absent?: string[]
  check?: (calls: Calls, reply: HarnessResponse) => void
}

export function recordAll(receiver: TriggerReceiver, calls: Calls) {
  receiver.on('idn:identity-created', (input, ctx) => {
    calls.push({ input, ctx })
  })
  receiver.on('idn:access-request-pre-approval', (input, ctx) => {
    calls.push({ input, ctx })
    return { ...PRE_APPROVAL_OUTPUT, notForIsc: 'stripped' }
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Gates handlers wait on during a case; all opened after it, before its harness closes. */
export const heldGates: Gate[] = []
function held(): Gate {
  const gate = createGate()
  heldGates.push(gate)
  return gate
}

/** `_metadata` of an ASYNC delivery whose callback URL is an ISC host (allowed by default). */
function asyncMetadata() {
  return { ...invocationMetadata('idn:access-request-pre-approval'), responseMode: 'async' }
}
/** A loopback origin nobody listed: a callback URL there must be refused, never followed. */
const UNLISTED_ORIGIN = 'http://127.0.0.1:9'

/** An ASYNC delivery whose callback cannot be used: refused before the handler runs. */
function asyncCallbackRefused(name: string, metadata: Record<string, unknown> | undefined): Case {
  return {
    name,
    setup: (receiver, calls) =>
      receiver.on(
        'idn:access-request-pre-approval',
        (input, ctx) => {
          calls.push({ input, ctx })
          return PRE_APPROVAL_OUTPUT
        },
        { mode: 'async' },
      ),
    request: post('/access-request-pre-approval', {
      ...preApprovalSample(),
      ...(metadata === undefined ? {} : { _metadata: metadata }),
    }),
    status: 400,
    code: 'INVALID_CALLBACK',
    handlerCalls: 0,
    absent: [UNLISTED_ORIGIN, '127.0.0.1', invocationMetadata('').secret],
  }
}

/** What `onRejected` received during the running case (cleared before each case). */
export const rejections: TriggerRejection[] = []
const keepRejections: Partial<TriggerReceiverOptions> = {
  onRejected: (rejection) => void rejections.push(rejection),
}
/** 10 KiB of gzip that inflates to 10 MiB: refused from its Content-Encoding, never inflated. */
let bomb: Buffer | undefined
function gzipBomb(): Buffer {
  bomb ??= gzipSync(Buffer.alloc(10 * 1024 * 1024, 32))
  return bomb
}
const MALFORMED = '{"identity": {"id": '
const INVALID = JSON.stringify({ identity: { type: 'IDENTITY', id: 7 }, attributes: {} })

/** A case checking that the refused delivery reached `onRejected` once, with its raw body. */
function keptRejection(name: string, path: string, body: string, status: number, code: string): Case {
  return {
    name,
    options: keepRejections,
    request: post(path, body),
    status,
    code,
    handlerCalls: 0,
    check: () => {
      expect(rejections).toHaveLength(1)
      expect(rejections[0]).toMatchObject({ status, code })
      expect(Buffer.from(rejections[0]!.body).toString('utf8')).toBe(body)
    },
  }
}

/** The reply table of DESIGN.md, as far as the receiver implements it, one row per case. */
export const cases: Case[] = [
  keptRejection(
    'onRejected keeps malformed JSON with its raw body',
    '/identity-created',
    MALFORMED,
    400,
    'INVALID_JSON',
  ),
  keptRejection(
    'onRejected keeps a schema failure with its raw body',
    '/identity-created',
    INVALID,
    400,
    'INVALID_PAYLOAD',
  ),
  keptRejection(
    'onRejected keeps an unknown trigger with its raw body',
    '/no-such-trigger',
    INVALID,
    404,
    'UNKNOWN_TRIGGER',
  ),
  {
    name: 'onRejected is never called for a 401',
    options: keepRejections,
    request: post('/identity-created', INVALID, { ...JSON_HEADERS, authorization: bearer('wrong-token') }),
    status: 401,
    code: 'UNAUTHORIZED',
    check: () => expect(rejections).toHaveLength(0),
  },
  {
    name: 'fire-and-forget with a valid bearer token → 200 {} after the handler, unknown fields kept',
    request: post('/identity-created', identityCreatedSample()),
    status: 200,
    body: {},
    handlerCalls: 1,
    check: (calls) => {
      expect(calls[0]?.input).toEqual(identityCreatedSample())
      expect(calls[0]?.ctx.trigger.id).toBe('idn:identity-created')
      expect(calls[0]?.ctx.invocation).toBeUndefined()
    },
  },
  {
    name: 'the full trigger id in the path, URL-encoded or not',
    request: post('/idn%3Aidentity-created', identityCreatedSample()),
    status: 200,
    handlerCalls: 1,
  },
  {
    name: 'the full trigger id in the path with a raw colon',
    request: post('/idn:identity-created/', identityCreatedSample()),
    status: 200,
    handlerCalls: 1,
  },
  {
    name: 'a rotated (second) bearer token and a lower-case scheme are accepted',
    options: { auth: { type: 'bearer', tokens: [TEST_TOKEN, ROTATED_TOKEN] } },
    request: post('/identity-created', identityCreatedSample(), {
      ...JSON_HEADERS,
      authorization: `bearer ${ROTATED_TOKEN}`,
    }),
    status: 200,
    handlerCalls: 1,
  },
  {
    name: 'Basic credentials whose password contains ":"',
    options: { auth: { type: 'basic', credentials: [TEST_BASIC] } },
    request: post('/identity-created', identityCreatedSample(), {
      ...JSON_HEADERS,
      authorization: basic(TEST_BASIC.username, TEST_BASIC.password),
    }),
    status: 200,
    handlerCalls: 1,
  },
  {
    name: 'wrong Basic password → 401 with a Basic challenge',
    options: { auth: { type: 'basic', credentials: [TEST_BASIC] } },
    request: post('/identity-created', identityCreatedSample(), {
      ...JSON_HEADERS,
      authorization: basic(TEST_BASIC.username, 'pa:ss'),
    }),
    status: 401,
    code: 'UNAUTHORIZED',
    headers: { 'www-authenticate': /^Basic realm=/ },
    handlerCalls: 0,
    absent: ['pa:ss'],
  },
  {
    name: 'custom verification',
    options: { auth: { type: 'custom', verify: (headers) => headers['x-api-key'] === 'k-123' } },
    request: post('/identity-created', identityCreatedSample(), { ...JSON_HEADERS, 'x-api-key': 'k-123' }),
    status: 200,
    handlerCalls: 1,
  },
  {
    name: 'no auth, said explicitly',
    options: { auth: { type: 'none' } },
    request: post('/identity-created', identityCreatedSample(), JSON_HEADERS),
    status: 200,
    handlerCalls: 1,
  },
  {
    name: 'missing credentials → 401 with WWW-Authenticate, handler not called',
    request: post('/identity-created', identityCreatedSample(), JSON_HEADERS),
    status: 401,
    code: 'UNAUTHORIZED',
    headers: { 'www-authenticate': /^Bearer realm=/ },
    handlerCalls: 0,
  },
  {
    name: 'wrong bearer token → 401, the token not echoed',
    request: post('/identity-created', identityCreatedSample(), {
      ...JSON_HEADERS,
      authorization: bearer('guess-123'),
    }),
    status: 401,
    code: 'UNAUTHORIZED',
    handlerCalls: 0,
    absent: ['guess-123', TEST_TOKEN],
  },
  {
    name: 'not POST → 405 with Allow: POST',
    request: {
      method: 'GET',
      path: `${MOUNT}/identity-created`,
      headers: { authorization: bearer(TEST_TOKEN) },
    },
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    headers: { allow: 'POST' },
    handlerCalls: 0,
  },
  {
    name: 'content type not JSON → 415',
    request: post('/identity-created', 'identity=1', {
      authorization: bearer(TEST_TOKEN),
      'content-type': 'application/x-www-form-urlencoded',
    }),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    handlerCalls: 0,
  },
  {
    name: 'a gzip body without credentials → 401, never inflated first',
    request: {
      ...post('/identity-created', ''),
      headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' },
      body: gzipBomb(),
    },
    status: 401,
    code: 'UNAUTHORIZED',
    handlerCalls: 0,
  },
  {
    name: 'a gzip body with credentials → 415, never inflated',
    request: {
      ...post('/identity-created', ''),
      headers: { ...AUTHORISED, 'content-encoding': 'gzip' },
      body: gzipBomb(),
    },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    handlerCalls: 0,
  },
  {
    name: 'application/json with parameters is JSON',
    request: post('/identity-created', identityCreatedSample(), {
      authorization: bearer(TEST_TOKEN),
      'content-type': 'Application/JSON; charset=UTF-8',
    }),
    status: 200,
    handlerCalls: 1,
  },
  {
    name: 'body over the limit → 413',
    options: { bodyLimit: 256 },
    request: post('/identity-created', { ...identityCreatedSample(), padding: 'x'.repeat(1024) }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    handlerCalls: 0,
  },
  {
    name: 'malformed JSON → 400',
    request: post('/identity-created', '{"identity": {"id": '),
    status: 400,
    code: 'INVALID_JSON',
    handlerCalls: 0,
  },
  {
    name: 'a __proto__ key → 400, no prototype polluted',
    request: post(
      '/identity-created',
      '{"identity":{"type":"IDENTITY","id":"1","name":"n"},"attributes":{"__proto__":{"polluted":true}}}',
    ),
    status: 400,
    code: 'INVALID_JSON',
    handlerCalls: 0,
    check: () => expect(({} as Record<string, unknown>).polluted).toBeUndefined(),
  },
  {
    name: 'a JSON array → 400',
    request: post('/identity-created', [identityCreatedSample()]),
    status: 400,
    code: 'INVALID_PAYLOAD',
    handlerCalls: 0,
  },
  {
    name: 'payload fails the schema → 400 naming the paths, never the values',
    request: post('/identity-created', {
      identity: { type: 'IDENTITY', id: 42, name: SECRET_IN_VALUE },
      attributes: { firstname: SECRET_IN_VALUE },
    }),
    status: 400,
    code: 'INVALID_PAYLOAD',
    handlerCalls: 0,
    absent: [SECRET_IN_VALUE, '42'],
    check: (_calls, reply) => {
      const issues = JSON.parse(reply.text).error.issues as { path: string }[]
      expect(issues.map((issue) => issue.path)).toEqual(['identity.id'])
    },
  },
  {
    name: 'a missing required field → 400 with its path',
    request: post('/identity-created', { identity: identityCreatedSample().identity }),
    status: 400,
    code: 'INVALID_PAYLOAD',
    check: (_calls, reply) => expect(JSON.parse(reply.text).error.issues[0].path).toBe('attributes'),
  },
  {
    name: 'unknown trigger → 404 naming what was asked for',
    request: post('/no-such-trigger', identityCreatedSample()),
    status: 404,
    code: 'UNKNOWN_TRIGGER',
    handlerCalls: 0,
    check: (_calls, reply) => expect(JSON.parse(reply.text).error.message).toContain('no-such-trigger'),
  },
  {
    name: 'a catalog trigger with no handler → 404',
    setup: (receiver, calls) =>
      receiver.on('idn:identity-created', (input) => {
        calls.push({ input } as Calls[number])
      }),
    request: post('/access-request-pre-approval', preApprovalSample()),
    status: 404,
    code: 'UNKNOWN_TRIGGER',
    handlerCalls: 0,
  },
  {
    name: 'unknown trigger is checked only after authentication',
    request: post('/no-such-trigger', identityCreatedSample(), JSON_HEADERS),
    status: 401,
  },
  {
    name: 'no trigger in the path: _metadata.triggerId decides, _metadata reaches ctx.invocation',
    request: post('', {
      ...preApprovalSample(),
      _metadata: invocationMetadata('idn:access-request-pre-approval'),
    }),
    status: 200,
    body: PRE_APPROVAL_OUTPUT,
    handlerCalls: 1,
    check: (calls) => {
      expect(calls[0]?.input).toEqual(preApprovalSample())
      expect(calls[0]?.ctx.invocation).toMatchObject({
        triggerId: 'idn:access-request-pre-approval',
        invocationId: '0f2b7c1e-5d6a-4c1b-9a3e-2b7d4e6f8a90',
        secret: invocationMetadata('').secret,
      })
    },
  },
  {
    name: 'neither a path segment nor _metadata → 404',
    request: post('', identityCreatedSample()),
    status: 404,
    code: 'UNKNOWN_TRIGGER',
    handlerCalls: 0,
  },
  {
    name: 'handler threw → 500 without internals',
    setup: (receiver) =>
      receiver.on('idn:identity-created', () => {
        throw new Error(`database password is ${SECRET_IN_VALUE}`)
      }),
    request: post('/identity-created', identityCreatedSample()),
    status: 500,
    code: 'HANDLER_FAILED',
    absent: [SECRET_IN_VALUE, 'at '],
  },
  {
    name: 'an async handler that rejects → 500',
    setup: (receiver) =>
      receiver.on('idn:identity-created', async () => {
        await sleep(1)
        throw new Error('boom')
      }),
    request: post('/identity-created', identityCreatedSample()),
    status: 500,
    code: 'HANDLER_FAILED',
    absent: ['boom'],
  },
  {
    name: 'the fire-and-forget reply waits for the handler to finish',
    setup: (receiver, calls) =>
      receiver.on('idn:identity-created', async (input, ctx) => {
        await sleep(30)
        calls.push({ input, ctx })
      }),
    request: post('/identity-created', identityCreatedSample()),
    status: 200,
    handlerCalls: 1,
  },
  {
    name: 'request-response SYNC → 200 with the validated output (undeclared keys not sent)',
    request: post('/access-request-pre-approval', preApprovalSample()),
    status: 200,
    body: PRE_APPROVAL_OUTPUT,
    handlerCalls: 1,
  },
  {
    name: 'requestedFor as an array (the OpenAPI form) is accepted too',
    request: post('/access-request-pre-approval', {
      ...preApprovalSample(),
      requestedFor: [preApprovalSample().requestedFor],
    }),
    status: 200,
    handlerCalls: 1,
  },
  {
    name: 'request-response handler returns an invalid output → 500, nothing of it sent',
    setup: (receiver) => receiver.on('idn:access-request-pre-approval', () => ({ approved: 'yes' }) as never),
    request: post('/access-request-pre-approval', preApprovalSample()),
    status: 500,
    code: 'INVALID_OUTPUT',
    absent: ['yes'],
  },
  {
    name: 'SYNC handler past its budget with a fallback → 200 with the fallback',
    setup: (receiver, calls) =>
      receiver.on(
        'idn:access-request-pre-approval',
        async (input, ctx) => {
          calls.push({ input, ctx })
          await held().promise // open only after the reply: the handler cannot make its budget
          return PRE_APPROVAL_OUTPUT
        },
        { timeoutMs: 40, fallback: FALLBACK },
      ),
    request: post('/access-request-pre-approval', preApprovalSample()),
    status: 200,
    body: FALLBACK,
    check: (calls) => expect(calls[0]?.ctx.signal.aborted).toBe(true),
  },
  {
    name: 'SYNC handler past its budget without a fallback → 504',
    setup: (receiver) =>
      receiver.on(
        'idn:access-request-pre-approval',
        async () => {
          await held().promise
          return PRE_APPROVAL_OUTPUT
        },
        { timeoutMs: 40 },
      ),
    request: post('/access-request-pre-approval', preApprovalSample()),
    status: 504,
    code: 'RESPONSE_TIMEOUT',
  },
  asyncCallbackRefused('ASYNC without _metadata → 400 INVALID_CALLBACK, handler not run', undefined),
  asyncCallbackRefused('ASYNC without the invocation secret → 400 INVALID_CALLBACK, handler not run', {
    ...asyncMetadata(),
    secret: undefined,
  }),
  asyncCallbackRefused(
    'ASYNC with a callback URL off the allowlist → 400 INVALID_CALLBACK, the URL not echoed, handler not run',
    { ...asyncMetadata(), callbackURL: `${UNLISTED_ORIGIN}/beta/trigger-invocations/inv-1/complete` },
  ),
]
