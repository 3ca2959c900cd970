import type { TriggerContext } from '@isc-triggers/core'
import { sampleInput } from '@isc-triggers/testing'
import {
  bearer,
  createGate,
  DECISION,
  DECISION_WITH_EXTRA,
  INVOCATION_SECRET,
  identityCreatedSample,
  preApprovalSample,
  TEST_TOKEN,
} from '@isc-triggers-internal/test-utils'
import type { APIGatewayProxyEvent } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import type { LambdaHttpEvent } from './lambda-request.js'
import { turn } from './testing/core.test-helper.js'
import {
  functionUrlEvent,
  type HttpDelivery,
  httpApiEvent,
  restApiEvent,
} from './testing/events.test-helper.js'
import { AUTHORISED, MOUNT, useTestBed } from './testing/test-bed.test-helper.js'

// toLambdaHandler through the event shapes AWS documents: REST API (v1), HTTP API (v2, on the
// $default stage, a named stage and a custom domain) and Function URL. Every status is the
// receiver's: a reply through the handler equals receiver.handle()'s for the same request.

type Shape = (delivery: HttpDelivery) => LambdaHttpEvent

const SHAPES: [string, Shape][] = [
  ['REST API (v1; event.path has no stage, requestContext.path has it)', (d) => restApiEvent(d, 'prod')],
  ['HTTP API (v2, $default stage)', (d) => httpApiEvent(d)],
  ['HTTP API (v2, stage "prod" in rawPath)', (d) => httpApiEvent(d, { stage: 'prod' })],
  [
    'HTTP API (v2, custom domain: no stage segment)',
    (d) => httpApiEvent(d, { stage: 'prod', customDomain: true }),
  ],
  ['Function URL', (d) => functionUrlEvent(d)],
]

const bed = useTestBed()

/** The receiver (see useTestBed) and `toLambdaHandler`; `path: null` mounts it without a path option. */
function setUp(...args: Parameters<typeof bed.setUp>) {
  const { receiver, http, inputs, rejections } = bed.setUp(...args)
  return { receiver, handler: http, calls: { inputs, rejections } }
}

function post(path: string, body: unknown, headers: Record<string, string> = AUTHORISED): HttpDelivery {
  return { path: `${MOUNT}${path}`, headers, body: typeof body === 'string' ? body : JSON.stringify(body) }
}

describe.each(SHAPES)('toLambdaHandler: %s', (_name, shape) => {
  it('a fire-and-forget delivery → 200 {} after the handler, unknown fields kept', async () => {
    const { handler, calls } = setUp()
    const result = await handler(shape(post('/identity-created', identityCreatedSample())))
    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': '2' },
      body: '{}',
    })
    expect(calls.inputs).toEqual([identityCreatedSample()])
  })

  it('a base64-encoded body is decoded (the full trigger id in the path)', async () => {
    const { handler, calls } = setUp()
    const delivery = { ...post('/idn%3Aidentity-created', identityCreatedSample()), base64: true }
    const result = await handler(shape(delivery))
    expect(result.statusCode, result.body).toBe(200)
    expect(calls.inputs).toEqual([identityCreatedSample()])
  })

  it('wrong credentials → 401 with WWW-Authenticate, from the receiver; the handler is not called', async () => {
    const { handler, calls } = setUp()
    const headers = { ...AUTHORISED, authorization: bearer('not-the-token') }
    const result = await handler(shape(post('/identity-created', identityCreatedSample(), headers)))
    expect(result.statusCode).toBe(401)
    expect(result.headers['www-authenticate']).toMatch(/^Bearer/)
    expect(JSON.parse(result.body).error.code).toBe('UNAUTHORIZED')
    expect(result.body).not.toContain('not-the-token')
    expect(calls.inputs).toEqual([])
  })

  it('an unknown trigger → 404, kept for onRejected', async () => {
    const { handler, calls } = setUp()
    const result = await handler(shape(post('/no-such-trigger', identityCreatedSample())))
    expect(result.statusCode).toBe(404)
    expect(JSON.parse(result.body).error.code).toBe('UNKNOWN_TRIGGER')
    expect(calls.rejections).toMatchObject([{ trigger: 'no-such-trigger', status: 404 }])
  })

  it('an invalid payload → 400 naming the path, never the value; onRejected gets the raw body', async () => {
    const { handler, calls } = setUp()
    const body = JSON.stringify({ ...identityCreatedSample(), identity: { id: 42, name: 'Ada-9c1f' } })
    const result = await handler(shape({ ...post('/identity-created', body), base64: true }))
    expect(result.statusCode).toBe(400)
    const error = JSON.parse(result.body).error
    expect(error.code).toBe('INVALID_PAYLOAD')
    expect(error.issues.map((issue: { path: string }) => issue.path)).toContain('identity.id')
    expect(result.body).not.toContain('Ada-9c1f')
    expect(calls.rejections).toHaveLength(1)
    expect(Buffer.from(calls.rejections[0]?.body ?? '').toString('utf8')).toBe(body)
    expect(calls.inputs).toEqual([])
  })

  it('a handler failure → 500 without internals', async () => {
    const { receiver, handler } = setUp()
    receiver.on('idn:account-correlated', async () => {
      throw new Error('db password is hunter2')
    })
    const result = await handler(shape(post('/account-correlated', sampleInput('idn:account-correlated'))))
    expect(result.statusCode).toBe(500)
    expect(JSON.parse(result.body).error.code).toBe('HANDLER_FAILED')
    expect(result.body).not.toContain('hunter2')
  })
})

describe('toLambdaHandler: headers and routes', () => {
  it('reads header names in any case', async () => {
    const { handler, calls } = setUp()
    const headers = { AUTHORIZATION: bearer(TEST_TOKEN), 'Content-Type': 'application/json' }
    for (const event of [
      restApiEvent(post('/identity-created', identityCreatedSample(), headers)),
      { ...httpApiEvent(post('/identity-created', identityCreatedSample())), headers },
    ])
      expect((await handler(event)).statusCode).toBe(200)
    expect(calls.inputs).toHaveLength(2)
  })

  it("reads a REST event's multiValueHeaders when its headers are empty", async () => {
    const { handler, calls } = setUp()
    const event = restApiEvent(post('/identity-created', identityCreatedSample()))
    const result = await handler({ ...event, headers: {} })
    expect(result.statusCode).toBe(200)
    expect(calls.inputs).toHaveLength(1)
  })

  it('strips the stage of an HTTP API event in payload format 1.0 (version "1.0", stage in path)', async () => {
    const { handler, calls } = setUp()
    const rest = restApiEvent(post('/identity-created', identityCreatedSample()), 'live')
    const event = { ...rest, version: '1.0', path: `/live${rest.path}` } as APIGatewayProxyEvent
    expect((await handler(event)).statusCode).toBe(200)
    expect(calls.inputs).toHaveLength(1)
  })

  it('a custom domain path whose first segment is the stage name is taken as it is', async () => {
    const { handler, calls } = setUp()
    const event = httpApiEvent(post('/identity-created', identityCreatedSample()), {
      stage: 'isc',
      customDomain: true,
    })
    expect(event.rawPath).toBe('/isc/triggers/identity-created')
    expect((await handler(event)).statusCode).toBe(200)
    expect(calls.inputs).toHaveLength(1)
  })

  it('mounted at the root (no path option): the segment is the trigger; the root itself asks _metadata', async () => {
    const { receiver, handler, calls } = setUp({}, null)
    const decided: TriggerContext[] = []
    receiver.on('idn:access-request-pre-approval', (_input, ctx) => {
      decided.push(ctx)
      return DECISION
    })
    const created = await handler(
      httpApiEvent({
        path: '/identity-created',
        headers: AUTHORISED,
        body: JSON.stringify(identityCreatedSample()),
      }),
    )
    expect(created.statusCode).toBe(200)
    expect(calls.inputs).toHaveLength(1)
    const body = { ...preApprovalSample(), _metadata: { triggerId: 'idn:access-request-pre-approval' } }
    const root = await handler(
      httpApiEvent({ path: '/', headers: AUTHORISED, body: JSON.stringify(body) }, { stage: 'prod' }),
    )
    expect(JSON.parse(root.body)).toEqual(DECISION)
    expect(decided[0]?.invocation?.triggerId).toBe('idn:access-request-pre-approval')
  })

  it('a route outside the mount path is refused by the receiver: 401 first, then 404 kept for onRejected', async () => {
    const { handler, calls } = setUp()
    const body = JSON.stringify({
      ...identityCreatedSample(),
      _metadata: { triggerId: 'idn:identity-created' },
    })
    const anonymous = await handler(
      httpApiEvent({ path: '/health', body, headers: { 'content-type': 'application/json' } }),
    )
    expect(anonymous.statusCode).toBe(401)
    for (const path of ['/health', `${MOUNT}/identity-created/deeper`]) {
      const result = await handler(httpApiEvent({ path, body, headers: AUTHORISED }))
      expect(result.statusCode, path).toBe(404)
    }
    expect(calls.inputs).toEqual([])
    expect(calls.rejections.map((rejection) => [rejection.status, rejection.body])).toEqual([
      [404, body],
      [404, body],
    ])
  })
})

describe('toLambdaHandler: every reply is the receiver’s', () => {
  const requests: [string, HttpDelivery][] = [
    ['not POST', { method: 'GET', path: `${MOUNT}/identity-created`, headers: AUTHORISED }],
    [
      'missing credentials',
      post('/identity-created', identityCreatedSample(), { 'content-type': 'application/json' }),
    ],
    ['not JSON', post('/identity-created', 'hello', { ...AUTHORISED, 'content-type': 'text/plain' })],
    [
      'over the body limit',
      post('/identity-created', { ...identityCreatedSample(), pad: 'x'.repeat(2_048) }),
    ],
    ['malformed JSON', post('/identity-created', '{"identity":')],
    ['no body', { path: `${MOUNT}/identity-created`, headers: AUTHORISED }],
    ['a JSON array', post('/identity-created', '[]')],
    ['fire-and-forget', post('/identity-created', identityCreatedSample())],
  ]

  it.each(requests)('%s: the same status, headers and body as receiver.handle()', async (_name, delivery) => {
    const { receiver, handler } = setUp({ bodyLimit: 1_024 })
    const reference = await receiver.handle({
      method: delivery.method ?? 'POST',
      headers: delivery.headers ?? {},
      body: delivery.body,
      trigger: 'identity-created',
    })
    for (const [, shape] of SHAPES) {
      const result = await handler(shape(delivery))
      expect(result).toEqual({
        statusCode: reference.status,
        headers: reference.headers,
        body: reference.body,
      })
    }
  })
})

describe('toLambdaHandler: request-response (Lambda freezes after the reply)', () => {
  let invocations = 0

  function decisionDelivery(invocationId: string): HttpDelivery {
    return post('/access-request-pre-approval', bed.decisionDetail(invocationId))
  }

  it.each([
    ['ASYNC', { mode: 'async' }, 200, false],
    ['DYNAMIC, deferred', { mode: 'dynamic' }, 202, true],
  ] as const)(
    '%s: returns only once the decision reached the callback',
    async (_name, options, status, defer) => {
      const { receiver, handler } = setUp()
      const decided = createGate()
      const started = createGate()
      receiver.on(
        'idn:access-request-pre-approval',
        async (_input, ctx) => {
          if (defer) ctx.defer()
          started.open()
          await decided.promise
          return DECISION_WITH_EXTRA
        },
        options,
      )
      const invocationId = `inv-lambda-${++invocations}`
      let returned = false
      const result = handler(httpApiEvent(decisionDelivery(invocationId))).then((value) => {
        returned = true
        return value
      })
      await started.promise
      await turn() // receiver.handle() would have answered by now
      expect(returned).toBe(false)
      decided.open()
      const reply = await result
      expect(reply.statusCode).toBe(status)
      expect(JSON.parse(reply.body)).toEqual({})
      // The callback was delivered before the handler returned (nothing is left to freeze).
      expect(bed.isc.completions.filter((attempt) => attempt.invocationId === invocationId)).toMatchObject([
        { body: { secret: INVOCATION_SECRET, output: DECISION } },
      ])
    },
  )

  it('SYNC past its budget: the fallback is returned without waiting for the handler', async () => {
    const { receiver, handler } = setUp()
    const held = createGate()
    const fallback = { approved: false, comment: 'timed out', approver: 'svc' }
    receiver.on(
      'idn:access-request-pre-approval',
      async () => {
        await held.promise
        return DECISION
      },
      { mode: 'sync', timeoutMs: 20, fallback },
    )
    // Waiting for the late handler would never end: the gate opens only after the reply.
    const result = await handler(restApiEvent(post('/access-request-pre-approval', preApprovalSample())))
    expect(JSON.parse(result.body)).toEqual(fallback)
    held.open()
  })
})
