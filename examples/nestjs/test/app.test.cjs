// Jest, CommonJS (Nest's default test setup), against the compiled example app, with the test kit
// as a Jest user would use it. Run: pnpm build && pnpm --filter @isc-triggers-examples/nestjs build
// && pnpm --filter @isc-triggers-examples/nestjs test:jest
require('reflect-metadata')
const { Test } = require('@nestjs/testing')
const { deliver, sampleInput } = require('@isc-triggers/testing')
const { AppModule } = require('../dist/app.module')

const token = 'jest-token'

describe('the example NestJS app, under Jest (CommonJS)', () => {
  let app
  beforeAll(async () => {
    process.env.ISC_TOKEN = token
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile()
    app = moduleRef.createNestApplication({ logger: false })
    await app.init()
  })
  afterAll(() => app.close())

  test('adds the payroll owners as approvers of payroll access', async () => {
    const reply = await deliver(app, 'idn:access-request-dynamic-approver', undefined, { bearer: token })
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({ name: 'Payroll Data Owners', type: 'GOVERNANCE_GROUP' })
  })

  test('adds nobody for other access', async () => {
    const input = sampleInput('idn:access-request-dynamic-approver', {
      requestedItems: [{ id: 'r1', name: 'Wiki Editor', type: 'ROLE', operation: 'Add' }],
    })
    const reply = await deliver(app, 'idn:access-request-dynamic-approver', input, { bearer: token })
    expect(reply.body).toEqual({})
  })

  test('refuses a wrong token', async () => {
    const reply = await deliver(app, 'idn:identity-created', undefined, { bearer: 'wrong' })
    expect(reply.status).toBe(401)
    expect(reply.body.error.code).toBe('UNAUTHORIZED')
  })
})
