import { Configuration, TriggersBetaApi, TriggersV2024Api } from 'sailpoint-api-client'
import { afterEach, describe, expect, it } from 'vitest'
import { type FakeIsc, startFakeIsc } from './fake-isc.js'
import { quietSdkEnvironment } from './sdk.test-helper.js'

// SailPoint's official TypeScript SDK (npm `sailpoint-api-client`) used against the fake ISC, the way
// a user's own code would call a tenant. The SDK posts client credentials as multipart/form-data.

const clientId = 'sdk-client'
const clientSecret = 'sdk-secret'
const decision = { approved: true, comment: 'auto', approver: 'svc' }
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/

let isc: FakeIsc | undefined

quietSdkEnvironment()

afterEach(async () => {
  await isc?.close()
  isc = undefined
})

/** The SDK's own login: explicit parameters, so it reads no env var, config.json or ~/.sailpoint. */
async function login(secret = clientSecret) {
  isc = await startFakeIsc({ clientId, clientSecret })
  const config = new Configuration({
    baseurl: isc.origin,
    tokenUrl: isc.tokenUrl,
    clientId,
    clientSecret: secret,
  })
  return { isc, config }
}

function rejectionStatus(error: unknown): unknown {
  return (error as { response?: { status?: number } }).response?.status
}

// Generous: the first test also loads the SDK's generated clients, and machines may be busy.
describe('the fake ISC with SailPoint’s SDK (sailpoint-api-client)', { timeout: 30_000 }, () => {
  it('logs in (multipart client credentials) and completes an invocation; a second completion is refused (400)', async () => {
    const { isc, config } = await login()
    const api = new TriggersBetaApi(config)
    const request = { id: 'inv-sdk-1', completeInvocationBeta: { secret: 's-1', output: decision } }

    const completed = await api.completeTriggerInvocation(request)
    expect(completed.status).toBe(204)
    expect(isc.tokenRequests).toEqual([
      { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
    ])
    expect(isc.completions).toHaveLength(1)
    expect(isc.completions[0]).toMatchObject({
      invocationId: 'inv-sdk-1',
      status: 204,
      body: { secret: 's-1', output: decision },
    })
    expect(isc.completions[0]!.headers.authorization).toBe('Bearer fake-token-1')

    const again = await api.completeTriggerInvocation(request).catch((error: unknown) => error)
    expect(rejectionStatus(again)).toBe(400)
    expect((again as { response: { data: unknown } }).response.data).toEqual({
      detailCode: '400.1.404 Referenced object not found',
    })
    expect(isc.attempts.map((attempt) => attempt.status)).toEqual([204, 400])
    expect(isc.completions).toHaveLength(1)
  })

  it('starts test invocations, completes one with its secret, and lists their status', async () => {
    const { isc, config } = await login()
    const api = new TriggersBetaApi(config)
    const input = { accessRequestId: 'ar-1' }
    const testInvocation = {
      triggerId: 'idn:access-request-pre-approval',
      input,
      contentJson: { workflow: 'w-1' },
      subscriptionIds: ['sub-a', 'sub-b'],
    }

    const started = await api.startTestTriggerInvocation({ testInvocationBeta: testInvocation })
    expect(started.status).toBe(200)
    expect(started.data).toEqual([
      {
        id: 'test-invocation-1',
        triggerId: testInvocation.triggerId,
        secret: 'secret-1',
        contentJson: { workflow: 'w-1' },
      },
      {
        id: 'test-invocation-2',
        triggerId: testInvocation.triggerId,
        secret: 'secret-2',
        contentJson: { workflow: 'w-1' },
      },
    ])
    expect(isc.testInvocations).toEqual([testInvocation])

    const wrongSecret = await api
      .completeTriggerInvocation({
        id: 'test-invocation-1',
        completeInvocationBeta: { secret: 'secret-2', output: decision },
      })
      .catch((error: unknown) => error)
    expect(rejectionStatus(wrongSecret)).toBe(400)
    const completed = await api.completeTriggerInvocation({
      id: 'test-invocation-1',
      completeInvocationBeta: { secret: 'secret-1', output: decision },
    })
    expect(completed.status).toBe(204)

    const statuses = await api.listTriggerInvocationStatus()
    expect(statuses.status).toBe(200)
    expect(statuses.data).toEqual([
      {
        id: 'test-invocation-1',
        triggerId: 'idn:access-request-pre-approval',
        subscriptionId: 'sub-a',
        subscriptionName: expect.any(String),
        type: 'TEST',
        created: expect.stringMatching(ISO),
        completed: expect.stringMatching(ISO),
        startInvocationInput: {
          triggerId: 'idn:access-request-pre-approval',
          input,
          contentJson: { workflow: 'w-1' },
        },
        completeInvocationInput: { output: decision, localizedError: null },
      },
      {
        id: 'test-invocation-2',
        triggerId: 'idn:access-request-pre-approval',
        subscriptionId: 'sub-b',
        subscriptionName: expect.any(String),
        type: 'TEST',
        created: expect.stringMatching(ISO),
        startInvocationInput: {
          triggerId: 'idn:access-request-pre-approval',
          input,
          contentJson: { workflow: 'w-1' },
        },
      },
    ])

    const filtered = await api.listTriggerInvocationStatus({
      filters: 'subscriptionId eq "sub-b"',
      count: true,
    })
    expect(filtered.data.map((status) => status.id)).toEqual(['test-invocation-2'])
    expect(filtered.headers['x-total-count']).toBe('1')
    expect(isc.tokenRequests).toHaveLength(1)
  })

  it('serves the v2024 API (TriggersV2024Api, with the experimental header)', async () => {
    const { isc, config } = await login()
    config.experimental = true // the SDK refuses v2024 trigger calls without it
    const api = new TriggersV2024Api(config)

    const started = await api.startTestTriggerInvocation({
      testInvocationV2024: { triggerId: 'idn:access-request-dynamic-approver', contentJson: {} },
    })
    expect(started.data).toEqual([
      {
        id: 'test-invocation-1',
        triggerId: 'idn:access-request-dynamic-approver',
        secret: 'secret-1',
        contentJson: {},
      },
    ])
    const approver = { id: 'id-1', name: 'Ada', type: 'IDENTITY' }
    const completed = await api.completeTriggerInvocation({
      id: 'test-invocation-1',
      completeInvocationV2024: { secret: 'secret-1', output: approver },
    })
    expect(completed.status).toBe(204)
    expect(isc.completions[0]!.headers['x-sailpoint-experimental']).toBe('true')

    const statuses = await api.listTriggerInvocationStatus({
      filters: 'triggerId eq "idn:access-request-dynamic-approver"',
    })
    expect(statuses.data).toMatchObject([
      {
        id: 'test-invocation-1',
        subscriptionId: 'fake-subscription',
        type: 'TEST',
        completeInvocationInput: { output: approver, localizedError: null },
      },
    ])
    const again = await api
      .completeTriggerInvocation({
        id: 'test-invocation-1',
        completeInvocationV2024: { secret: 'secret-1', output: approver },
      })
      .catch((error: unknown) => error)
    expect(rejectionStatus(again)).toBe(400)
  })

  it('refuses the SDK’s login with a wrong secret, and its calls with it', async () => {
    const { isc, config } = await login('wrong-secret')
    const api = new TriggersBetaApi(config)
    await expect(api.listTriggerInvocationStatus()).rejects.toThrow(/401/)
    expect(isc.tokenRequests).toEqual([
      { grant_type: 'client_credentials', client_id: clientId, client_secret: 'wrong-secret' },
    ])
    expect(isc.attempts).toEqual([])
  })
})
