import { createTriggerReceiver, isTriggerError } from '@isc-triggers/core'
import { sampleInput } from '@isc-triggers/testing'
import {
  bearer,
  createGate,
  DECISION,
  INVOCATION_SECRET,
  identityCreatedSample,
  preApprovalSample,
  TEST_TOKEN,
} from '@isc-triggers-internal/test-utils'
import type {
  APIGatewayProxyHandlerV2WithLambdaAuthorizer,
  APIGatewayProxyWithCognitoAuthorizerHandler,
  APIGatewayProxyWithLambdaAuthorizerHandler,
  EventBridgeHandler,
  Handler,
} from 'aws-lambda'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { toEventBridgeHandler, toLambdaHandler } from './index.js'
import {
  closeLoopbacks,
  loopback,
  REJECTION_HOOK_BUDGET_MS,
  turn,
  watch,
} from './testing/core.test-helper.js'
import { httpApiEvent, iscEvent, restApiEvent } from './testing/events.test-helper.js'
import { AUTHORISED, MOUNT, PRE_APPROVAL, useTestBed } from './testing/test-bed.test-helper.js'

// The Lambda handlers against a hostile or unlucky world: odd event shapes, hooks that fail or
// hang, a receiver closed mid-event, handlers that throw. The prime rule: ISC never redelivers an
// HTTP delivery, so a refused one must be kept (onRejected) before the handler returns (Lambda
// freezes then); Lambda retries an EventBridge event whose handler rejects, so an event that is
// neither handled nor kept must reject.

const bed = useTestBed()
const setUp = bed.setUp
const decisionDetail = bed.decisionDetail
afterEach(async () => {
  vi.useRealTimers()
  await closeLoopbacks()
})

describe('hostile: onRejected that fails or takes long (the last chance to keep an event)', () => {
  it.each([
    [
      'throws',
      () => {
        throw new Error('PutObject: AccessDenied')
      },
    ],
    ['rejects', async () => Promise.reject(new Error('PutObject: AccessDenied'))],
  ])(
    'EventBridge: an onRejected that %s makes the event reject, so Lambda retries it and its on-failure destination keeps it',
    async (_name, onRejected) => {
      const { events } = setUp({ onRejected })
      const outcome = await events(iscEvent('idn:no-such-trigger', identityCreatedSample())).then(
        () => 'resolved (the event was neither kept nor retried: lost)',
        (error: unknown) => (isTriggerError(error) ? `${error.code}: ${error.message}` : String(error)),
      )
      expect(outcome).toBe(
        'HANDLER_FAILED: onRejected failed to keep a refused delivery (404 UNKNOWN_TRIGGER)',
      )
    },
  )

  it.each([
    ['toLambdaHandler (HTTP)', 'http'],
    ['toEventBridgeHandler', 'events'],
  ] as const)(
    '%s: an onRejected still storing after its 5 s reply budget is waited for, not frozen',
    async (_name, kind) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
      const storing = createGate()
      const kept: unknown[] = []
      const { http, events } = setUp({
        onRejected: async (rejection) => {
          await storing.promise
          kept.push(rejection.body)
        },
      })
      const body = JSON.stringify(identityCreatedSample())
      const returned = watch(
        kind === 'http'
          ? http(httpApiEvent({ path: `${MOUNT}/no-such-trigger`, headers: AUTHORISED, body }))
          : events(iscEvent('idn:no-such-trigger', JSON.parse(body))),
      )
      await vi.advanceTimersByTimeAsync(REJECTION_HOOK_BUDGET_MS + 1)
      await turn()
      // Had the handler returned, Lambda would freeze the hook before it stored the event.
      expect(returned.state).toBe('pending')
      storing.open()
      expect(await returned.settled).toBe('resolved')
      expect(kept).toEqual([body])
    },
  )
})

describe('hostile: EventBridge events when the receiver closes mid-way', () => {
  it('a decision still being sent when close() gives up rejects (Lambda retries; the retry decides)', async () => {
    let down = true
    // ISC does not answer while down: the attempt is still in flight at close().
    const slowIsc = await loopback((_request, res) => {
      if (!down) res.writeHead(204).end()
    })
    const completion = { allowedCallbackOrigins: [slowIsc.origin] }
    const { receiver, events } = setUp({ completion })
    receiver.on(PRE_APPROVAL, async () => DECISION, { mode: 'async' })
    const event = iscEvent(PRE_APPROVAL, decisionDetail('inv-closing', slowIsc.origin))
    const outcome = watch(events(event))
    await slowIsc.until(1)
    await receiver.close({ timeoutMs: 1 }) // a SIGTERM handler, say
    // Was: resolved, and the decision never sent.
    expect(await outcome.settled).toBe('rejected SHUTTING_DOWN')

    down = false
    const retry = setUp({ completion })
    retry.receiver.on(PRE_APPROVAL, async () => DECISION, { mode: 'async' })
    await expect(retry.events(event)).resolves.toBeUndefined()
    expect(slowIsc.received.map((request) => JSON.parse(request.body))).toEqual([
      { secret: INVOCATION_SECRET, output: DECISION },
      { secret: INVOCATION_SECRET, output: DECISION },
    ])
  })
})

describe('hostile: EventBridge events of odd shapes', () => {
  it('an event that is not an object rejects (a promise, never a synchronous throw)', async () => {
    const { events } = setUp()
    let returned: Promise<void> | undefined
    expect(() => {
      returned = events(undefined as never)
    }).not.toThrow()
    await expect(returned).rejects.toBeInstanceOf(TypeError)
  })

  it.each([
    ['no detail-type: _metadata.triggerId names the trigger', undefined, true],
    ['an empty detail-type: _metadata.triggerId names the trigger', '', true],
    ['the trigger name without idn:', 'identity-created', false],
  ])('%s', async (_name, detailType, withMetadata) => {
    const { events, inputs, rejections } = setUp()
    const detail = withMetadata
      ? { ...identityCreatedSample(), _metadata: { triggerId: 'idn:identity-created' } }
      : identityCreatedSample()
    await events({ ...iscEvent('idn:identity-created', detail), 'detail-type': detailType as string })
    expect(inputs).toEqual([identityCreatedSample()])
    expect(rejections).toEqual([])
  })

  it('detail as JSON text is parsed; detail null is kept for onRejected and resolves', async () => {
    const { events, inputs, rejections } = setUp()
    await events(iscEvent('idn:identity-created', JSON.stringify(identityCreatedSample())))
    expect(inputs).toEqual([identityCreatedSample()])
    await events(iscEvent('idn:identity-created', null))
    expect(rejections).toMatchObject([{ status: 400, code: 'INVALID_JSON', body: '' }])
  })

  it('a request-response event without _metadata, or with a callback URL off the allowlist: kept, resolved, nothing sent', async () => {
    const { receiver, events, rejections } = setUp()
    let calls = 0
    receiver.on(PRE_APPROVAL, () => {
      calls++
      return DECISION
    })
    await events(iscEvent(PRE_APPROVAL, preApprovalSample()))
    await events(iscEvent(PRE_APPROVAL, decisionDetail('inv-evil', 'https://isc.attacker.example')))
    expect(calls).toBe(0)
    expect(rejections.map((rejection) => rejection.code)).toEqual(['INVALID_CALLBACK', 'INVALID_CALLBACK'])
    expect(bed.isc.attempts.filter((attempt) => attempt.invocationId === 'inv-evil')).toEqual([])
  })

  it('two events at once: one failing rejects alone; the other decides and resolves', async () => {
    const { receiver, events } = setUp()
    const both = createGate()
    receiver.on(
      PRE_APPROVAL,
      async (input) => {
        await both.promise
        if ((input as { accessRequestId: string }).accessRequestId === 'fails') throw new Error('down')
        return DECISION
      },
      { mode: 'async' },
    )
    const failing = watch(
      events(iscEvent(PRE_APPROVAL, { ...decisionDetail('inv-two-a'), accessRequestId: 'fails' })),
    )
    const deciding = watch(events(iscEvent(PRE_APPROVAL, decisionDetail('inv-two-b'))))
    both.open()
    expect(await Promise.all([failing.settled, deciding.settled])).toEqual([
      'rejected HANDLER_FAILED',
      'resolved',
    ])
    expect(bed.isc.completions.map((attempt) => attempt.invocationId)).toContain('inv-two-b')
    expect(bed.isc.attempts.map((attempt) => attempt.invocationId)).not.toContain('inv-two-a')
  })

  it('a throwing logger changes no outcome', async () => {
    const logger = {
      warn: () => {
        throw new Error('stdout closed')
      },
      error: () => {
        throw new Error('stdout closed')
      },
    }
    const { receiver, events } = setUp({ logger, onRejected: undefined })
    receiver.on('idn:account-correlated', async () => {
      throw new Error('down')
    })
    await expect(events(iscEvent('idn:no-such-trigger', identityCreatedSample()))).resolves.toBeUndefined()
    await expect(events(iscEvent('idn:account-correlated', { a: 1 }))).resolves.toBeUndefined()
    const correlated = iscEvent('idn:account-correlated', sampleInput('idn:account-correlated'))
    await expect(events(correlated)).rejects.toMatchObject({ code: 'HANDLER_FAILED' })
  })

  it("the rejection Lambda logs holds neither the invocation secret nor the handler's error text", async () => {
    const { receiver, events } = setUp()
    receiver.on(
      PRE_APPROVAL,
      async () => {
        throw new Error(`policy service refused ${INVOCATION_SECRET} for Ada-7f3e`)
      },
      { mode: 'async' },
    )
    const error = (await events(iscEvent(PRE_APPROVAL, decisionDetail('inv-secret'))).catch(
      (failure: unknown) => failure,
    )) as Error
    // As the Node.js runtime formats a rejection: name, message, enumerable fields, stack.
    const logged = JSON.stringify({
      errorType: error.name,
      errorMessage: error.message,
      ...error,
      stack: error.stack,
    })
    expect(logged).toContain('HANDLER_FAILED')
    expect(logged).not.toContain(INVOCATION_SECRET)
    expect(logged).not.toContain('Ada-7f3e')
  })
})

describe('hostile: HTTP events of odd shapes', () => {
  const body = JSON.stringify(identityCreatedSample())

  it('a REST event with headers null reads multiValueHeaders; both null is a 401', async () => {
    const { http, inputs } = setUp()
    const event = restApiEvent({ path: `${MOUNT}/identity-created`, headers: AUTHORISED, body })
    expect((await http({ ...event, headers: null as never })).statusCode).toBe(200)
    expect(inputs).toHaveLength(1)
    const none = await http({ ...event, headers: null as never, multiValueHeaders: null as never })
    expect(none.statusCode).toBe(401)
  })

  it('Authorization twice (two cases, or two values) is refused, whichever comes first', async () => {
    const { http, inputs } = setUp()
    const event = restApiEvent({ path: `${MOUNT}/identity-created`, headers: AUTHORISED, body })
    const cased = {
      ...event,
      headers: { Authorization: bearer('not-it'), ...AUTHORISED },
      multiValueHeaders: {},
    }
    expect((await http(cased)).statusCode).toBe(401)
    const multi = {
      ...event,
      multiValueHeaders: {
        ...event.multiValueHeaders,
        authorization: [bearer(TEST_TOKEN), bearer('not-it')],
      },
    }
    expect((await http(multi)).statusCode).toBe(401)
    expect(inputs).toEqual([])
  })

  it.each([
    ['a prefix of the mount path', '/isc/triggersX/identity-created'],
    ['an encoded slash', `${MOUNT}/idn%2Fidentity-created`],
    ['a dot segment', `${MOUNT}/../triggers/identity-created`],
    ['another case', '/ISC/Triggers/identity-created'],
  ])('%s: 404, the delivery kept for onRejected', async (_name, path) => {
    const { http, inputs, rejections } = setUp()
    const result = await http(httpApiEvent({ path, headers: AUTHORISED, body }))
    expect(result.statusCode).toBe(404)
    expect(inputs).toEqual([])
    expect(rejections).toMatchObject([{ status: 404, code: 'UNKNOWN_TRIGGER', body }])
  })

  it.each(['GET', 'HEAD', 'OPTIONS'])('%s → 405 with Allow: POST, the handler not called', async (method) => {
    const { http, inputs } = setUp()
    const result = await http(
      restApiEvent({ method, path: `${MOUNT}/identity-created`, headers: AUTHORISED }),
    )
    expect(result.statusCode).toBe(405)
    expect(result.headers.allow).toBe('POST')
    expect(inputs).toEqual([])
  })

  it('a base64 body over bodyLimit → 413, the whole decoded body kept for onRejected', async () => {
    const { http, rejections } = setUp({ bodyLimit: 1_024 })
    const big = JSON.stringify({ ...identityCreatedSample(), pad: 'x'.repeat(4_096) })
    const result = await http(
      httpApiEvent({ path: `${MOUNT}/identity-created`, headers: AUTHORISED, body: big, base64: true }),
    )
    expect(result.statusCode).toBe(413)
    expect(Buffer.from(rejections[0]?.body ?? '').toString('utf8')).toBe(big)
  })

  it('a body marked base64 that is not base64: refused by the receiver, onRejected gets the text unaltered', async () => {
    const { http, inputs, rejections } = setUp()
    const text = 'not base64: {"identity":' // Node would drop the characters base64 has not
    const event = httpApiEvent({ path: `${MOUNT}/identity-created`, headers: AUTHORISED, body: text })
    const result = await http({ ...event, isBase64Encoded: true })
    expect(result.statusCode).toBe(400)
    expect(JSON.parse(result.body).error.code).toBe('INVALID_JSON')
    expect(rejections).toMatchObject([{ status: 400, code: 'INVALID_JSON', body: text }])
    expect(inputs).toEqual([])
  })

  it.each([
    ['base64url', 'base64url'],
    ['base64 without its padding', 'base64'],
  ] as const)('a body in %s is decoded', async (_name, encoding) => {
    const { http, inputs } = setUp()
    const encoded = Buffer.from(body, 'utf8').toString(encoding).replace(/=+$/, '')
    const event = httpApiEvent({ path: `${MOUNT}/identity-created`, headers: AUTHORISED, body: encoded })
    expect((await http({ ...event, isBase64Encoded: true })).statusCode).toBe(200)
    expect(inputs).toEqual([identityCreatedSample()])
  })

  it('a query string and a v1 event with version "1.0" but no stage segment are still routed', async () => {
    const { http, inputs } = setUp()
    const rest = restApiEvent({ path: `${MOUNT}/identity-created`, headers: AUTHORISED, body }, 'prod')
    expect((await http({ ...rest, version: '1.0' } as never)).statusCode).toBe(200)
    const v2 = httpApiEvent({ path: `${MOUNT}/identity-created`, headers: AUTHORISED, body })
    expect((await http({ ...v2, rawQueryString: 'a=1&b=%2F' })).statusCode).toBe(200)
    expect(inputs).toHaveLength(2)
  })
})

// Checked by tsc (pnpm typecheck): the handler types of authorizer-carrying events and typed
// EventBridge details accept the handlers too.
it('the handlers fit the authorizer and typed-detail handler types of @types/aws-lambda', () => {
  const receiver = createTriggerReceiver({ auth: { type: 'none' }, logger: false })
  const http = toLambdaHandler(receiver)
  const cognito: APIGatewayProxyWithCognitoAuthorizerHandler = http
  const lambdaAuthorizer: APIGatewayProxyWithLambdaAuthorizerHandler<{ tenant: string }> = http
  const v2LambdaAuthorizer: APIGatewayProxyHandlerV2WithLambdaAuthorizer<{ tenant: string }> = http
  const typedDetail: EventBridgeHandler<'idn:identity-created', { identity: { id: string } }, void> =
    toEventBridgeHandler(receiver)
  const plain: Handler = toEventBridgeHandler(receiver)
  for (const handler of [cognito, lambdaAuthorizer, v2LambdaAuthorizer, typedDetail, plain])
    expect(handler).toBeTypeOf('function')
})
