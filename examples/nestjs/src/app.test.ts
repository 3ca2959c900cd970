import 'reflect-metadata'
import { sampleInput } from '@isc-triggers/testing'
import type { INestApplication } from '@nestjs/common'
import { Test } from '@nestjs/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppModule } from './app.module'
import { IdentityHandler } from './identity.handler'

const token = 'example-nest-token'

describe('the example NestJS service', () => {
  let app: INestApplication
  beforeAll(async () => {
    process.env.ISC_TOKEN = token
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile()
    app = moduleRef.createNestApplication({ logger: false })
    await app.init()
  })
  afterAll(() => app.close())

  const post = (trigger: string, body: unknown, secret = token) =>
    request(app.getHttpServer())
      .post(`/isc/triggers/${trigger}`)
      .set('authorization', `Bearer ${secret}`)
      .send(body as object)

  it('adds the payroll owners as approvers of payroll access, and nobody otherwise', async () => {
    const payroll = await post(
      'access-request-dynamic-approver',
      sampleInput('idn:access-request-dynamic-approver'),
    )
    expect(payroll.status).toBe(200)
    expect(payroll.body).toEqual({
      id: '6d0c3e1a9f2b4d7c8e5a1b3c4d5e6f70',
      name: 'Payroll Data Owners',
      type: 'GOVERNANCE_GROUP',
    })
    const other = await post(
      'access-request-dynamic-approver',
      sampleInput('idn:access-request-dynamic-approver', {
        requestedItems: [{ id: 'r1', name: 'Wiki Editor', type: 'ROLE', operation: 'Add' }],
      }),
    )
    expect(other.body).toEqual({})
  })

  it('welcomes new identities, only with the right token', async () => {
    await post('identity-created', sampleInput('idn:identity-created')).expect(200, {})
    await post('identity-created', sampleInput('idn:identity-created'), 'nope').expect(401)
    expect(app.get(IdentityHandler).welcomed).toEqual(['Ada Lovelace'])
  })
})
