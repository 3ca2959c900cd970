import { sampleInput } from '@isc-triggers/testing'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createApp } from './server.js'

const token = 'example-koa-token'

describe('the example Koa service', () => {
  it('records aggregations and department moves, only with the right token', async () => {
    const { app, ledger } = createApp({ tokens: [token], log: () => {} })
    const server = app.callback()
    await request(server)
      .post('/isc/triggers/account-aggregation-completed')
      .set('authorization', `Bearer ${token}`)
      .send(sampleInput('idn:account-aggregation-completed'))
      .expect(200, {})
    await request(server)
      .post('/isc/triggers/identity-attributes-changed')
      .set('authorization', `Bearer ${token}`)
      .send(sampleInput('idn:identity-attributes-changed'))
      .expect(200)
    await request(server)
      .post('/isc/triggers/identity-attributes-changed')
      .set('authorization', 'Bearer nope')
      .send(sampleInput('idn:identity-attributes-changed'))
      .expect(401)
    expect(ledger.aggregations).toEqual([{ source: 'Workday HR', status: 'Success', added: 6, removed: 0 }])
    expect(ledger.departmentMoves).toEqual([
      { identity: 'Ada Lovelace', from: 'Research', to: 'Engineering' },
    ])
    await request(server).get('/health').expect(200, { ok: true })
  })
})
