import { afterEach, describe, expect, it } from 'vitest'
import { type FakeIsc, startFakeIsc } from './fake-isc.js'

// The fake ISC over plain fetch: token encodings, the three API prefixes, the route table.

const credentials = { clientId: 'raw-client', clientSecret: 'raw-secret' }
const PREFIXES = ['/beta/trigger-invocations', '/v2024/trigger-invocations', '/trigger-invocations/v1']

let isc: FakeIsc | undefined
afterEach(async () => {
  await isc?.close()
  isc = undefined
})

function urlencoded(secret: string) {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: credentials.clientId,
    client_secret: secret,
  })
}

function multipart(secret: string) {
  const form = new FormData()
  form.append('grant_type', 'client_credentials')
  form.append('client_id', credentials.clientId)
  form.append('client_secret', secret)
  return form
}

async function token(fake: FakeIsc, body: URLSearchParams | FormData) {
  const response = await fetch(fake.tokenUrl, { method: 'POST', body })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function api(fake: FakeIsc, method: string, path: string, bearer: string, body?: unknown) {
  const response = await fetch(`${fake.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined }
}

describe('fake ISC token endpoint', () => {
  it('issues a token for urlencoded client credentials', async () => {
    isc = await startFakeIsc(credentials)
    const issued = await token(isc, urlencoded('raw-secret'))
    expect(issued).toEqual({
      status: 200,
      body: { access_token: 'fake-token-1', token_type: 'bearer', expires_in: 3600 },
    })
    expect(isc.tokenRequests).toEqual([Object.fromEntries(urlencoded('raw-secret'))])
  })

  it('issues a token for multipart/form-data client credentials, which the API then accepts', async () => {
    isc = await startFakeIsc(credentials)
    const issued = await token(isc, multipart('raw-secret'))
    expect(issued).toEqual({
      status: 200,
      body: { access_token: 'fake-token-1', token_type: 'bearer', expires_in: 3600 },
    })
    expect(isc.tokenRequests).toEqual([Object.fromEntries(urlencoded('raw-secret'))])
    expect((await api(isc, 'GET', '/beta/trigger-invocations/status', 'fake-token-1')).status).toBe(200)
  })

  it('refuses a wrong secret, urlencoded or multipart, with 401 invalid_client', async () => {
    isc = await startFakeIsc(credentials)
    const refused = { status: 401, body: { error: 'invalid_client' } }
    expect(await token(isc, urlencoded('wrong'))).toEqual(refused)
    expect(await token(isc, multipart('wrong'))).toEqual(refused)
    expect(isc.tokenRequests.map((form) => form.client_secret)).toEqual(['wrong', 'wrong'])
  })

  it('refuses a body over 64 KiB (413), a malformed multipart body and other encodings (400)', async () => {
    isc = await startFakeIsc(credentials)
    const big = urlencoded('raw-secret')
    big.set('padding', 'x'.repeat(70 * 1024))
    expect((await token(isc, big)).status).toBe(413)
    const malformed = await fetch(isc.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=abc' },
      body: 'not a multipart body',
    })
    expect(malformed.status).toBe(400)
    expect(await malformed.json()).toMatchObject({ error: 'invalid_request' })
    const json = await fetch(isc.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.fromEntries(urlencoded('raw-secret'))),
    })
    expect(json.status).toBe(400)
    expect(isc.tokenRequests).toEqual([])
  })
})

describe('fake ISC trigger-invocation API', () => {
  it.each(PREFIXES)('serves test, complete and status under %s', async (prefix) => {
    isc = await startFakeIsc(credentials)
    const bearer = (await token(isc, urlencoded('raw-secret'))).body.access_token as string
    const started = await api(isc, 'POST', `${prefix}/test`, bearer, {
      triggerId: 'idn:access-request-pre-approval',
      contentJson: {},
    })
    expect(started.status).toBe(200)
    const [invocation] = started.body as { id: string; secret: string }[]
    expect(invocation).toMatchObject({ id: 'test-invocation-1', secret: 'secret-1' })
    const output = { approved: false, comment: 'no', approver: 'svc' }
    const completed = await api(isc, 'POST', `${prefix}/test-invocation-1/complete`, bearer, {
      secret: 'secret-1',
      output,
    })
    expect(completed.status).toBe(204)
    expect(isc.completions.map((attempt) => attempt.invocationId)).toEqual(['test-invocation-1'])
    const statuses = await api(isc, 'GET', `${prefix}/status`, bearer)
    expect(statuses.status).toBe(200)
    expect(statuses.body).toMatchObject([
      { id: 'test-invocation-1', type: 'TEST', completeInvocationInput: { output, localizedError: null } },
    ])
  })

  it('answers 400 to a second completion through any prefix, and lists an error completion', async () => {
    isc = await startFakeIsc()
    const url = (prefix: string) => `${prefix}/inv-9/complete`
    expect((await api(isc, 'POST', url(PREFIXES[0]!), '-', { secret: 's', error: 'nope' })).status).toBe(204)
    for (const prefix of PREFIXES)
      expect((await api(isc, 'POST', url(prefix), '-', { secret: 's', output: {} })).status).toBe(400)
    expect(isc.attempts.map((attempt) => attempt.status)).toEqual([204, 400, 400, 400])
    const statuses = await api(isc, 'GET', `${PREFIXES[2]}/status`, '-')
    expect(statuses.body).toMatchObject([
      {
        id: 'inv-9',
        type: 'REAL_TIME',
        completeInvocationInput: { output: null, localizedError: { locale: 'en-US', message: 'nope' } },
      },
    ])
  })

  it('pages and filters the status list, and refuses a filter it does not support', async () => {
    isc = await startFakeIsc()
    for (const triggerId of ['idn:a', 'idn:b', 'idn:a'])
      await api(isc, 'POST', '/beta/trigger-invocations/test', '-', { triggerId, contentJson: {} })
    const list = async (query: string) =>
      await api(isc!, 'GET', `/beta/trigger-invocations/status?${query}`, '-')
    const ids = (page: { body: { id: string }[] }) => page.body.map((status) => status.id)
    expect(ids(await list('limit=1&offset=1'))).toEqual(['test-invocation-2'])
    const filtered = await list(`filters=${encodeURIComponent('triggerId eq "idn:a"')}&count=true`)
    expect(ids(filtered)).toEqual(['test-invocation-1', 'test-invocation-3'])
    expect(filtered.headers.get('x-total-count')).toBe('2')
    expect((await list(`filters=${encodeURIComponent('type eq "TEST"')}`)).status).toBe(400)
    expect((await list('limit=1000')).status).toBe(400)
  })

  it('requires its token on every API route when credentials are configured', async () => {
    isc = await startFakeIsc(credentials)
    expect((await api(isc, 'GET', '/v2024/trigger-invocations/status', 'forged')).status).toBe(401)
    expect(
      (await api(isc, 'POST', '/trigger-invocations/v1/test', 'forged', { triggerId: 'x', contentJson: {} }))
        .status,
    ).toBe(401)
    expect(
      (await api(isc, 'POST', '/beta/trigger-invocations/i/complete', 'forged', { secret: 's' })).status,
    ).toBe(401)
    expect(isc.testInvocations).toEqual([])
  })

  it('answers 405 with Allow to a wrong method, 404 to an unknown path', async () => {
    isc = await startFakeIsc()
    const wrongMethod = await api(isc, 'GET', '/beta/trigger-invocations/inv-1/complete', '-')
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('POST')
    expect((await api(isc, 'POST', '/beta/trigger-invocations/status', '-', {})).status).toBe(405)
    expect((await api(isc, 'GET', '/trigger-invocations/status', '-')).status).toBe(404)
  })
})
