import { afterEach, describe, expect, it } from 'vitest'
import { createApp, TRIGGER_PATH } from './server.js'

// The service over real HTTP on a loopback port.
const token = 'example-test-token'
const identity = {
  identity: { type: 'IDENTITY', id: 'id-1', name: 'Ada Lovelace' },
  attributes: { department: 'Engineering' },
}
const accessRequest = (name: string) => ({
  accessRequestId: 'ar-1',
  requestedFor: [{ type: 'IDENTITY', id: 'id-1', name: 'Ada Lovelace' }],
  requestedItems: [{ id: 'item-1', name, type: 'ROLE', operation: 'Add' }],
  requestedBy: { type: 'IDENTITY', id: 'id-2', name: 'Grace Hopper' },
})

let close: (() => Promise<unknown>) | undefined
afterEach(() => close?.())

async function start() {
  const service = await createApp({ tokens: [token], log: () => {} })
  close = () => service.app.close()
  const base = await service.app.listen({ port: 0, host: '127.0.0.1' })
  const post = async (path: string, body: unknown, bearer = token) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
    return { status: response.status, body: await response.json() }
  }
  const get = async (path: string) => (await fetch(`${base}${path}`)).json()
  return { ...service, post, get }
}

describe('the example Fastify service', () => {
  it('puts a deleted identity on the offboarding list, and only with the right token', async () => {
    const { post, get } = await start()
    expect(await post(`${TRIGGER_PATH}/identity-deleted`, identity)).toEqual({ status: 200, body: {} })
    const refused = await post(`${TRIGGER_PATH}/identity-deleted`, identity, 'nope')
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } })
    expect(await get('/offboarding')).toEqual([{ id: 'id-1', name: 'Ada Lovelace' }])
  })

  it('approves standard access and denies privileged access', async () => {
    const { post, journal } = await start()
    const send = (name: string) => post(`${TRIGGER_PATH}/access-request-pre-approval`, accessRequest(name))
    expect((await send('Payroll Read')).body).toMatchObject({ approved: true, approver: 'svc-access-policy' })
    expect((await send('Prod Admin')).body).toMatchObject({ approved: false })
    expect(journal.decisions.map((d) => d.approved)).toEqual([true, false])
  })

  it("answers a malformed delivery in the receiver's format, its own routes in Fastify's", async () => {
    const { post } = await start()
    const delivery = await post(`${TRIGGER_PATH}/identity-deleted`, '{"identity":')
    expect(delivery).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON' } } })
    const own = await post('/offboarding/done', '{"id":')
    expect(own).toMatchObject({ status: 400, body: { code: 'FST_ERR_CTP_INVALID_JSON_BODY' } })
  })

  it('keeps its own routes working, with their JSON parsed and validated by Fastify', async () => {
    const { post, get } = await start()
    expect(await get('/health')).toEqual({ ok: true })
    await post(`${TRIGGER_PATH}/identity-deleted`, identity)
    expect(await post('/offboarding/done', { id: 'id-1' })).toEqual({ status: 200, body: [] })
    expect(await post('/offboarding/done', {})).toMatchObject({
      status: 400,
      body: { code: 'FST_ERR_VALIDATION' },
    })
  })

  it('app.close() closes the receiver', async () => {
    const { app, receiver } = await start()
    await app.close()
    const reply = await receiver.handle({
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(identity),
      trigger: 'identity-deleted',
    })
    expect(reply.status).toBe(503)
  })
})
