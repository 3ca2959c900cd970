import { describe, expect, it } from 'vitest'
import { TriggerConfigError } from '../errors.js'
import {
  bearer,
  identityCreatedSample,
  invocationMetadata,
  preApprovalSample,
  TEST_TOKEN,
} from '../fixtures.test-helper.js'
import { createTriggerReceiver } from '../receiver/receiver.js'
import { createMemoryDedupeStore, type DedupeStore } from './dedupe.js'

const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const byIdentity = (input: unknown) => (input as { identity?: { id?: string } }).identity?.id

describe('createMemoryDedupeStore', () => {
  it('claims a key once until it expires or is released', async () => {
    const store = createMemoryDedupeStore()
    expect(store.claim('k', 50)).toBe(true)
    expect(store.claim('k', 50)).toBe(false)
    store.release('k')
    expect(store.claim('k', 20)).toBe(true)
    await sleep(30)
    expect(store.claim('k', 20)).toBe(true)
  })
})

describe('dedupe', () => {
  function receiverWith(store: DedupeStore, handler: () => unknown | Promise<unknown>) {
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TEST_TOKEN] },
      logger: false,
      dedupe: { store, key: byIdentity },
    })
    receiver.on('idn:identity-created', handler)
    return receiver
  }
  const send = (receiver: ReturnType<typeof receiverWith>, id = 'same-identity') =>
    receiver.handle({
      method: 'POST',
      headers,
      body: JSON.stringify({
        ...identityCreatedSample(),
        identity: { ...identityCreatedSample().identity, id },
      }),
      trigger: 'identity-created',
    })

  it('runs the handler once for concurrent duplicates; both are acknowledged', async () => {
    let runs = 0
    const receiver = receiverWith(createMemoryDedupeStore(), async () => {
      runs++
      await sleep(30)
    })
    const replies = await Promise.all([send(receiver), send(receiver), send(receiver, 'other-identity')])
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200])
    expect(runs).toBe(2)
  })

  it('a handler that fails gives the claim back, so the next delivery runs', async () => {
    let runs = 0
    const receiver = receiverWith(createMemoryDedupeStore(), () => {
      runs++
      if (runs === 1) throw new Error('downstream down')
    })
    expect((await send(receiver)).status).toBe(500)
    expect((await send(receiver)).status).toBe(200)
    expect((await send(receiver)).status).toBe(200)
    expect(runs).toBe(2)
  })

  it('keys request-response deliveries by invocation id: a SYNC duplicate gets 409', async () => {
    let runs = 0
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TEST_TOKEN] },
      logger: false,
      dedupe: { store: createMemoryDedupeStore() },
    })
    receiver.on('idn:access-request-pre-approval', async () => {
      runs++
      await sleep(20)
      return { approved: true, comment: 'ok', approver: 'svc' }
    })
    const body = JSON.stringify({
      ...preApprovalSample(),
      _metadata: invocationMetadata('idn:access-request-pre-approval'),
    })
    const deliver = () =>
      receiver.handle({ method: 'POST', headers, body, trigger: 'access-request-pre-approval' })
    const [first, second] = await Promise.all([deliver(), deliver()])
    expect([first.status, second.status].sort()).toEqual([200, 409])
    expect(JSON.parse(second.status === 409 ? second.body : first.body).error.code).toBe('DUPLICATE_DELIVERY')
    expect(runs).toBe(1)
  })

  it('runs the delivery anyway when the store fails (an event is never lost to dedupe)', async () => {
    let runs = 0
    const broken: DedupeStore = {
      claim: () => Promise.reject(new Error('redis down')),
      release: () => {},
    }
    const receiver = receiverWith(broken, () => {
      runs++
    })
    expect((await send(receiver)).status).toBe(200)
    expect(runs).toBe(1)
  })

  it('refuses a store that is not one', () => {
    expect(() =>
      createTriggerReceiver({ auth: { type: 'none' }, dedupe: { store: {} as DedupeStore } }),
    ).toThrow(TriggerConfigError)
  })
})
