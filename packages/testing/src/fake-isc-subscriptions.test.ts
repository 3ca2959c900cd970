import { afterEach, describe, expect, it } from 'vitest'
import { type FakeIsc, startFakeIsc } from './fake-isc.js'

// The fake ISC's trigger-subscription API over plain fetch: the per-resource `/v1` paths, the
// shared store with `/beta`, and ISC's 400 / 401 / 404 rules.

const PRE_APPROVAL = 'idn:access-request-pre-approval'
const IDENTITY_CREATED = 'idn:identity-created'
const V1 = '/trigger-subscriptions/v1'

let isc: FakeIsc | undefined

afterEach(async () => {
  await isc?.close()
  isc = undefined
})

/** A fake with credentials and a token from its token endpoint; `call` sends JSON with that token. */
async function session() {
  isc = await startFakeIsc({ clientId: 'id', clientSecret: 'secret' })
  const origin = isc.origin
  const tokenReply = await fetch(isc.tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'id', client_secret: 'secret' }),
  })
  const { access_token: token } = (await tokenReply.json()) as { access_token: string }
  async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
    const response = await fetch(`${origin}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    })
    const text = await response.text()
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined }
  }
  async function fetchCount(path: string) {
    const response = await fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${token}` } })
    await response.arrayBuffer()
    return response.headers.get('x-total-count')
  }
  return { isc, origin, call, fetchCount }
}

const http = (url = 'https://hooks.example/isc') => ({ url, httpDispatchMode: 'SYNC' })
const subscription = (fields: Record<string, unknown> = {}) => ({
  name: 'identity created',
  triggerId: IDENTITY_CREATED,
  type: 'HTTP',
  httpConfig: http(),
  ...fields,
})

describe('the fake ISC’s trigger-subscription API over HTTP', () => {
  it('serves /trigger-subscriptions/v1 and /beta/trigger-subscriptions from one store', async () => {
    const { call } = await session()
    const created = await call('POST', V1, subscription())
    expect(created.status).toBe(201)
    const id = created.body!.id as string

    expect((await call('GET', `/beta/trigger-subscriptions/${id}`)).body).toMatchObject({
      id,
      name: 'identity created',
    })
    expect((await call('GET', '/beta/trigger-subscriptions')).body).toEqual([created.body])
    expect((await call('DELETE', `/beta/trigger-subscriptions/${id}`)).status).toBe(204)
    expect((await call('GET', `${V1}/${id}`)).status).toBe(404)
    expect((await call('GET', V1)).body).toEqual([])
  })

  it('needs a bearer token from its token endpoint on every subscription and trigger route (401)', async () => {
    const { origin } = await session()
    const routes: [string, string][] = [
      ['GET', V1],
      ['POST', V1],
      ['GET', `${V1}/x`],
      ['PUT', `${V1}/x`],
      ['PATCH', `${V1}/x`],
      ['DELETE', `${V1}/x`],
      ['POST', `${V1}/validate-filter`],
      ['GET', '/triggers/v1'],
      ['GET', '/beta/triggers'],
    ]
    for (const [method, path] of routes) {
      const anonymous = await fetch(`${origin}${path}`, { method })
      expect([method, path, anonymous.status]).toEqual([method, path, 401])
      const forged = await fetch(`${origin}${path}`, { method, headers: { authorization: 'Bearer forged' } })
      expect([method, path, forged.status]).toEqual([method, path, 401])
    }
  })

  it('refuses invalid subscriptions with 400 in ISC’s error shape, storing nothing', async () => {
    const { isc, call } = await session()
    const invalid: Record<string, unknown>[] = [
      { ...subscription(), name: undefined },
      { ...subscription(), triggerId: undefined },
      { ...subscription(), type: undefined },
      subscription({ triggerId: 'idn:no-such-trigger' }),
      subscription({ type: 'CARRIER_PIGEON' }),
      subscription({ httpConfig: undefined }),
      subscription({ httpConfig: { httpDispatchMode: 'SYNC' } }),
      subscription({ httpConfig: { ...http(), httpDispatchMode: 'SOMETIMES' } }),
      subscription({ httpConfig: { ...http(), httpAuthenticationType: 'BEARER_TOKEN' } }),
      subscription({
        httpConfig: { ...http(), httpAuthenticationType: 'BASIC_AUTH', basicAuthConfig: { userName: 'u' } },
      }),
      subscription({ type: 'EVENTBRIDGE', eventBridgeConfig: { awsAccount: '123' } }),
      subscription({ responseDeadline: 'one hour' }),
      subscription({ enabled: 'yes' }),
      subscription({ filter: '$[?(@.a ==' }),
    ]
    for (const body of invalid) {
      const reply = await call('POST', V1, body)
      expect([body, reply.status]).toEqual([body, 400])
      expect(reply.body).toEqual({ detailCode: '400.1 Bad request content', messages: [expect.any(String)] })
    }
    expect((await call('POST', V1, '{not json')).status).toBe(400)
    expect(isc.subscriptions).toEqual([])
  })

  it('never answers credentials: basic-auth passwords and bearer tokens come back null', async () => {
    const { isc, call } = await session()
    const basic = await call(
      'POST',
      V1,
      subscription({
        httpConfig: {
          ...http(),
          httpAuthenticationType: 'BASIC_AUTH',
          basicAuthConfig: { userName: 'isc', password: 'hunter2' },
        },
      }),
    )
    expect(basic.status).toBe(201)
    expect((basic.body!.httpConfig as Record<string, unknown>).basicAuthConfig).toEqual({
      userName: 'isc',
      password: null,
    })
    const listed = await call('GET', V1)
    expect(JSON.stringify(listed.body)).not.toContain('hunter2')
    expect(JSON.stringify((await call('GET', `${V1}/${basic.body!.id}`)).body)).not.toContain('hunter2')
    expect(isc.subscriptions[0]!.httpConfig?.basicAuthConfig?.password).toBe('hunter2')
  })

  it('allows one subscription per request-response trigger, and many per fire-and-forget trigger', async () => {
    const { call } = await session()
    const decide = subscription({
      triggerId: PRE_APPROVAL,
      httpConfig: { ...http(), httpDispatchMode: 'ASYNC' },
    })
    expect((await call('POST', V1, decide)).status).toBe(201)
    expect((await call('POST', '/beta/trigger-subscriptions', { ...decide, name: 'again' })).status).toBe(400)
    expect((await call('POST', V1, subscription())).status).toBe(201)
    expect((await call('POST', V1, subscription({ name: 'second listener' }))).status).toBe(201)
  })

  it('keeps id and triggerId immutable: PUT or PATCH changing them answers 400', async () => {
    const { call } = await session()
    const { body } = await call('POST', V1, subscription())
    const id = body!.id as string
    const { triggerId: _, ...put } = subscription({ name: 'renamed' })

    expect((await call('PUT', `${V1}/${id}`, { ...put, triggerId: PRE_APPROVAL })).status).toBe(400)
    expect((await call('PUT', `${V1}/${id}`, { ...put, id: 'another' })).status).toBe(400)
    const patch = (ops: unknown) => call('PATCH', `${V1}/${id}`, ops, 'application/json-patch+json')
    expect((await patch([{ op: 'replace', path: '/triggerId', value: PRE_APPROVAL }])).status).toBe(400)
    expect((await patch([{ op: 'replace', path: '/id', value: 'another' }])).status).toBe(400)
    expect((await patch([{ op: 'move', from: '/name', path: '/description' }])).status).toBe(400)
    expect((await patch([{ op: 'remove', path: '/name' }])).status).toBe(400)
    expect((await patch([{ op: 'replace', path: '/httpConfig/url', value: 'ftp://x' }])).status).toBe(400)
    expect((await call('GET', `${V1}/${id}`)).body).toMatchObject({
      id,
      triggerId: IDENTITY_CREATED,
      name: 'identity created',
    })

    const renamed = await call('PUT', `${V1}/${id}`, put)
    expect(renamed).toMatchObject({ status: 200, body: { id, triggerId: IDENTITY_CREATED, name: 'renamed' } })
    const described = await patch([
      { op: 'add', path: '/description', value: 'managed' },
      { op: 'remove', path: '/description' },
      { op: 'add', path: '/description', value: 'managed by isc-triggers' },
    ])
    expect(described).toMatchObject({ status: 200, body: { id, description: 'managed by isc-triggers' } })
  })

  it('answers 404 for an unknown id on get, put, patch and delete', async () => {
    const { call } = await session()
    expect((await call('GET', `${V1}/nope`)).status).toBe(404)
    expect((await call('PUT', `${V1}/nope`, subscription())).status).toBe(404)
    const rename = [{ op: 'replace', path: '/name', value: 'x' }]
    expect((await call('PATCH', `${V1}/nope`, rename, 'application/json-patch+json')).status).toBe(404)
    expect((await call('DELETE', `${V1}/nope`)).status).toBe(404)
  })

  it('lists with filters, limit, offset and count, and refuses filters it does not know (400)', async () => {
    const { call, fetchCount } = await session()
    await call('POST', V1, subscription({ name: 'a' }))
    await call('POST', V1, subscription({ name: 'b' }))
    await call(
      'POST',
      V1,
      subscription({
        name: 'c',
        type: 'EVENTBRIDGE',
        httpConfig: undefined,
        eventBridgeConfig: { awsAccount: '123456789012', awsRegion: 'eu-west-1' },
      }),
    )
    await call('POST', V1, subscription({ name: 'd', triggerId: PRE_APPROVAL }))
    const names = async (query: string) =>
      ((await call('GET', `${V1}?${query}`)).body as unknown as { name: string }[]).map((s) => s.name)

    expect(await names(`filters=${encodeURIComponent(`triggerId eq "${IDENTITY_CREATED}"`)}`)).toEqual([
      'a',
      'b',
      'c',
    ])
    expect(
      await names(
        `filters=${encodeURIComponent(`triggerId eq "${IDENTITY_CREATED}" and type eq "EVENTBRIDGE"`)}`,
      ),
    ).toEqual(['c'])
    expect(await names('limit=2&offset=1')).toEqual(['b', 'c'])
    expect(await names('sorters=triggerId')).toEqual(['d', 'a', 'b', 'c'])
    expect(await names('sorters=-triggerId')).toEqual(['a', 'b', 'c', 'd'])
    const counted = await fetchCount(`${V1}?count=true&limit=1`)
    expect(counted).toBe('4')
    expect((await call('GET', `${V1}?filters=${encodeURIComponent('name co "a"')}`)).status).toBe(400)
    expect((await call('GET', `${V1}?limit=251`)).status).toBe(400)
  })

  it('validates filters on /v1/validate-filter: match, no match, unparsable, and a body without input (400)', async () => {
    const { call } = await session()
    const input = { changes: [{ attribute: 'cloudLifecycleState', newValue: 'terminated' }] }
    const filter = '$.changes[?(@.attribute == "cloudLifecycleState" && @.newValue == "terminated")]'
    const validate = (body: unknown) => call('POST', `${V1}/validate-filter`, body)

    expect(await validate({ input, filter })).toEqual({
      status: 200,
      body: { isValid: true, isValidJSONPath: true, isPathExist: true },
    })
    expect((await validate({ input, filter: '$.changes[?(@.newValue == "active")]' })).body).toEqual({
      isValid: false,
      isValidJSONPath: true,
      isPathExist: false,
    })
    expect((await validate({ input, filter: '$.changes[?(@.attribute ==' })).body).toEqual({
      isValid: false,
      isValidJSONPath: false,
      isPathExist: false,
    })
    // Jayway applies a filter on the root object to the object itself (a JavaScript JSONPath
    // engine would test its members instead and find nothing here).
    expect(
      (
        await validate({
          input: { action: 'Lifecycle State Change' },
          filter: "$[?(@.action == 'Lifecycle State Change')]",
        })
      ).body,
    ).toEqual({
      isValid: true,
      isValidJSONPath: true,
      isPathExist: true,
    })
    expect((await validate({ filter })).status).toBe(400)
    expect((await validate({ input })).status).toBe(400)
  })

  it('lists the catalog’s triggers on /triggers/v1', async () => {
    const { call } = await session()
    const { status, body } = await call('GET', '/triggers/v1')
    expect(status).toBe(200)
    const triggers = body as unknown as { id: string; type: string; name: string }[]
    expect(triggers.find((t) => t.id === PRE_APPROVAL)).toMatchObject({
      type: 'REQUEST_RESPONSE',
      name: 'Access Request Submitted',
    })
    expect(triggers.find((t) => t.id === IDENTITY_CREATED)).toMatchObject({
      type: 'FIRE_AND_FORGET',
      name: 'Identity Created',
    })
  })
})

describe('the fake ISC’s trigger-subscription API against a hostile client', () => {
  it('refuses JSON-patch paths through __proto__ or inherited members (400), polluting nothing', async () => {
    const { call } = await session()
    const { body } = await call('POST', V1, subscription())
    const patch = (ops: unknown) => call('PATCH', `${V1}/${body!.id}`, ops, 'application/json-patch+json')
    const hostile = [
      { op: 'add', path: '/httpConfig/__proto__/polluted', value: 'yes' },
      { op: 'add', path: '/httpConfig/__proto__', value: { polluted: 'yes' } },
      { op: 'replace', path: '/httpConfig/constructor', value: 'yes' },
      { op: 'remove', path: '/httpConfig/toString' },
    ]
    for (const operation of hostile)
      expect([operation, (await patch([operation])).status]).toEqual([operation, 400])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect((await call('GET', `${V1}/${body!.id}`)).body).toEqual(body)
  })

  it('answers 415 to a PATCH whose body is not application/json-patch+json, changing nothing', async () => {
    const { call } = await session()
    const { body } = await call('POST', V1, subscription())
    const rename = [{ op: 'replace', path: '/name', value: 'renamed' }]
    for (const type of ['application/json', 'text/plain']) {
      const reply = await call('PATCH', `${V1}/${body!.id}`, rename, type)
      expect([type, reply.status]).toEqual([type, 415])
    }
    expect((await call('GET', `${V1}/${body!.id}`)).body).toEqual(body)
    const patched = await call(
      'PATCH',
      `${V1}/${body!.id}`,
      rename,
      'application/json-patch+json; charset=utf-8',
    )
    expect(patched).toMatchObject({ status: 200, body: { name: 'renamed' } })
  })

  it('answers 404, not 500, to an id that is not valid percent-encoding', async () => {
    const { call } = await session()
    expect((await call('GET', `${V1}/%E0%A4%A`)).status).toBe(404)
    expect((await call('DELETE', `${V1}/%`)).status).toBe(404)
  })
})
