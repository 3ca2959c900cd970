import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createApp, TRIGGER_PATH } from './server.js'

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

describe('the example Express service', () => {
  it('welcomes a created identity, and only with the right token', async () => {
    const { app, journal } = createApp({ tokens: [token], log: () => {} })
    await request(app)
      .post(`${TRIGGER_PATH}/identity-created`)
      .set('authorization', `Bearer ${token}`)
      .send(identity)
      .expect(200, {})
    await request(app)
      .post(`${TRIGGER_PATH}/identity-created`)
      .set('authorization', 'Bearer nope')
      .send(identity)
      .expect(401)
    expect(journal.welcomed).toEqual(['Ada Lovelace'])
  })

  it('approves standard access and denies privileged access', async () => {
    const { app, journal } = createApp({ tokens: [token], log: () => {} })
    const send = (name: string) =>
      request(app)
        .post(`${TRIGGER_PATH}/access-request-pre-approval`)
        .set('authorization', `Bearer ${token}`)
        .send(accessRequest(name))
    expect((await send('Payroll Read')).body).toMatchObject({ approved: true, approver: 'svc-access-policy' })
    expect((await send('Prod Admin')).body).toMatchObject({ approved: false })
    expect(journal.decisions.map((d) => d.approved)).toEqual([true, false])
  })

  it('keeps its own routes working', async () => {
    const { app } = createApp({ tokens: [token], log: () => {} })
    await request(app).get('/health').expect(200, { ok: true })
  })
})
