import { Configuration, TriggersBetaApi } from 'sailpoint-api-client'
import { afterEach, describe, expect, it } from 'vitest'
import { type FakeIsc, startFakeIsc } from './fake-isc.js'
import { quietSdkEnvironment } from './sdk.test-helper.js'

// SailPoint's official SDK (npm `sailpoint-api-client`) managing trigger subscriptions on the fake
// ISC, as a deploy script would on a tenant: what the SDK sends is what the fake must understand.

const clientId = 'sdk-client'
const clientSecret = 'sdk-secret'
const PRE_APPROVAL = 'idn:access-request-pre-approval'
const IDENTITY_CREATED = 'idn:identity-created'

let isc: FakeIsc | undefined

quietSdkEnvironment()

afterEach(async () => {
  await isc?.close()
  isc = undefined
})

async function login() {
  isc = await startFakeIsc({ clientId, clientSecret })
  const config = new Configuration({ baseurl: isc.origin, tokenUrl: isc.tokenUrl, clientId, clientSecret })
  return { isc, api: new TriggersBetaApi(config) }
}

function failure(error: unknown): { status?: number; data?: unknown } {
  const response = (error as { response?: { status?: number; data?: unknown } }).response
  return { status: response?.status, data: response?.data }
}

const preApproval = {
  name: 'isc-triggers pre-approval',
  triggerId: PRE_APPROVAL,
  type: 'HTTP' as const,
  httpConfig: {
    url: 'https://hooks.example/isc/triggers/access-request-pre-approval',
    httpDispatchMode: 'ASYNC' as const,
    httpAuthenticationType: 'BEARER_TOKEN' as const,
    bearerTokenAuthConfig: { bearerToken: 'token-v1' },
  },
}

describe('trigger subscriptions on the fake ISC with SailPoint’s SDK', { timeout: 30_000 }, () => {
  it('creates a subscription (201, defaults, triggerName, token answered as null) and lists it by triggerId', async () => {
    const { isc, api } = await login()

    const created = await api.createSubscription({ subscriptionPostRequestBeta: preApproval })
    expect(created.status).toBe(201)
    expect(created.data).toMatchObject({
      name: preApproval.name,
      triggerId: PRE_APPROVAL,
      triggerName: 'Access Request Submitted',
      type: 'HTTP',
      enabled: true,
      responseDeadline: 'PT1H',
      httpConfig: {
        url: preApproval.httpConfig.url,
        httpDispatchMode: 'ASYNC',
        httpAuthenticationType: 'BEARER_TOKEN',
        bearerTokenAuthConfig: { bearerToken: null },
      },
    })
    expect(created.data.id).toMatch(/\S/)
    expect(JSON.stringify(created.data)).not.toContain('token-v1')
    expect(isc.subscriptions[0]!.httpConfig?.bearerTokenAuthConfig?.bearerToken).toBe('token-v1')

    await api.createSubscription({
      subscriptionPostRequestBeta: {
        name: 'other',
        triggerId: IDENTITY_CREATED,
        type: 'HTTP',
        httpConfig: { url: 'https://hooks.example/identity-created', httpDispatchMode: 'SYNC' },
      },
    })
    const listed = await api.listSubscriptions({ filters: `triggerId eq "${PRE_APPROVAL}"` })
    expect(listed.data.map((s) => s.id)).toEqual([created.data.id])
    expect(listed.data[0]!.httpConfig?.bearerTokenAuthConfig).toEqual({ bearerToken: null })
    const all = await api.listSubscriptions({ count: true })
    expect(all.data).toHaveLength(2)
    expect(all.headers['x-total-count']).toBe('2')
  })

  it('refuses a second subscription to a request-response trigger (400), in ISC’s error shape', async () => {
    const { isc, api } = await login()
    await api.createSubscription({ subscriptionPostRequestBeta: preApproval })

    const second = await api
      .createSubscription({ subscriptionPostRequestBeta: { ...preApproval, name: 'second' } })
      .catch((error: unknown) => error)
    expect(failure(second)).toMatchObject({
      status: 400,
      data: { detailCode: '400.1 Bad request content', messages: [expect.stringContaining('only one')] },
    })
    expect(isc.subscriptions).toHaveLength(1)
  })

  it('patches a subscription with a JSON patch (same id, token kept), and refuses a patch of triggerId', async () => {
    const { isc, api } = await login()
    const { data: created } = await api.createSubscription({ subscriptionPostRequestBeta: preApproval })

    const patched = await api.patchSubscription({
      id: created.id,
      subscriptionPatchRequestInnerBeta: [
        { op: 'replace', path: '/httpConfig/url', value: 'https://hooks.example/v2' },
        { op: 'replace', path: '/responseDeadline', value: 'PT30M' },
        { op: 'add', path: '/filter', value: '$[?($.requestedFor.name == "x")]' },
        { op: 'replace', path: '/enabled', value: false },
      ],
    })
    expect(patched.status).toBe(200)
    expect(patched.data).toMatchObject({
      id: created.id,
      enabled: false,
      responseDeadline: 'PT30M',
      filter: '$[?($.requestedFor.name == "x")]',
      httpConfig: { url: 'https://hooks.example/v2', bearerTokenAuthConfig: { bearerToken: null } },
    })
    expect(isc.subscriptions[0]!.httpConfig?.bearerTokenAuthConfig?.bearerToken).toBe('token-v1')

    const immutable = await api
      .patchSubscription({
        id: created.id,
        subscriptionPatchRequestInnerBeta: [{ op: 'replace', path: '/triggerId', value: IDENTITY_CREATED }],
      })
      .catch((error: unknown) => error)
    expect(failure(immutable).status).toBe(400)
    expect(isc.subscriptions[0]!.triggerId).toBe(PRE_APPROVAL)
  })

  it('updates a subscription in place with PUT, and refuses a PUT changing triggerId', async () => {
    const { isc, api } = await login()
    const { data: created } = await api.createSubscription({ subscriptionPostRequestBeta: preApproval })
    const { triggerId: _, ...put } = preApproval

    const updated = await api.updateSubscription({
      id: created.id,
      subscriptionPutRequestBeta: {
        ...put,
        httpConfig: { ...put.httpConfig, bearerTokenAuthConfig: { bearerToken: 'token-v2' } },
      },
    })
    expect(updated.data).toMatchObject({ id: created.id, triggerId: PRE_APPROVAL, enabled: true })
    expect(isc.subscriptions[0]!.httpConfig?.bearerTokenAuthConfig?.bearerToken).toBe('token-v2')

    const moved = await api
      .updateSubscription({
        id: created.id,
        subscriptionPutRequestBeta: { ...put, triggerId: IDENTITY_CREATED } as typeof put,
      })
      .catch((error: unknown) => error)
    expect(failure(moved).status).toBe(400)
  })

  it('deletes a subscription (204), then answers 404', async () => {
    const { isc, api } = await login()
    const { data: created } = await api.createSubscription({ subscriptionPostRequestBeta: preApproval })

    const deleted = await api.deleteSubscription({ id: created.id })
    expect(deleted.status).toBe(204)
    expect(isc.subscriptions).toEqual([])
    const again = await api.deleteSubscription({ id: created.id }).catch((error: unknown) => error)
    expect(failure(again).status).toBe(404)
  })

  it('validates filters (testSubscriptionFilter): a match, no match, and an unparsable path', async () => {
    const { api } = await login()
    const input = { identity: { name: 'john.doe' } }
    const check = (filter: string) =>
      api.testSubscriptionFilter({ validateFilterInputDtoBeta: { input, filter } }).then((r) => r.data)

    expect(await check('$[?($.identity.name == "john.doe")]')).toEqual({
      isValid: true,
      isValidJSONPath: true,
      isPathExist: true,
    })
    expect(await check('$.identity[?(@.name == "jane")]')).toEqual({
      isValid: false,
      isValidJSONPath: true,
      isPathExist: false,
    })
    expect(await check('$.identity[?(@.name ==')).toEqual({
      isValid: false,
      isValidJSONPath: false,
      isPathExist: false,
    })
  })

  it('lists the catalog’s triggers (listTriggers)', async () => {
    const { api } = await login()
    const { data } = await api.listTriggers()
    expect(data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: PRE_APPROVAL,
          type: 'REQUEST_RESPONSE',
          name: 'Access Request Submitted',
        }),
        expect.objectContaining({ id: IDENTITY_CREATED, type: 'FIRE_AND_FORGET' }),
      ]),
    )
    const one = await api.listTriggers({ filters: `id eq "${IDENTITY_CREATED}"` })
    expect(one.data.map((t) => t.id)).toEqual([IDENTITY_CREATED])
  })
})
