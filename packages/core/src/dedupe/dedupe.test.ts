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
/** A store whose calls never settle (a paused Redis). */
const stalled: DedupeStore = { claim: () => new Promise(() => {}), release: () => new Promise(() => {}) }
const UNREACHABLE = 'http://127.0.0.1:9'
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

  it.each([null, { id: 1 }, 42])(
    'a key function that returns %j (not a string) deduplicates nothing: every delivery runs',
    async (key) => {
      let runs = 0
      const receiver = createTriggerReceiver({
        auth: { type: 'bearer', tokens: [TEST_TOKEN] },
        logger: false,
        dedupe: { store: createMemoryDedupeStore(), key: () => key as never },
      })
      receiver.on('idn:identity-created', () => {
        runs++
      })
      const replies = [await send(receiver as never, 'one'), await send(receiver as never, 'two')]
      expect(replies.map((reply) => reply.status)).toEqual([200, 200])
      expect(runs).toBe(2)
    },
  )

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

  it('a store that never answers: fire-and-forget runs after dedupe.timeoutMs, and the wait is logged', async () => {
    const errors: string[] = []
    let runs = 0
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TEST_TOKEN] },
      logger: { warn() {}, error: (message: string) => errors.push(message) },
      dedupe: { store: stalled, key: byIdentity, timeoutMs: 50 },
    }).on('idn:identity-created', () => {
      runs++
    })
    const reply = await receiver.handle({
      method: 'POST',
      headers,
      body: JSON.stringify(identityCreatedSample()),
      trigger: 'identity-created',
    })
    expect(reply.status).toBe(200)
    expect(runs).toBe(1)
    expect(errors).toEqual([
      'The dedupe store did not answer within 50 ms; idn:identity-created runs without deduplication',
    ])
  })

  it('a store that never answers: a SYNC delivery still runs and is answered (the wait is cut at its budget)', async () => {
    const fallback = { approved: false, comment: 'timed out', approver: 'svc' }
    const decision = { approved: true, comment: 'ok', approver: 'svc' }
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TEST_TOKEN] },
      logger: false,
      // A store limit far longer than the test may take: only the reply budget can end the wait.
      dedupe: { store: stalled, timeoutMs: 600_000 },
    }).on(
      'idn:access-request-pre-approval',
      async () => decision, // settles at once: it makes even a spent budget
      { timeoutMs: 200, fallback },
    )
    const reply = await receiver.handle({
      method: 'POST',
      headers,
      body: JSON.stringify({
        ...preApprovalSample(),
        _metadata: invocationMetadata('idn:access-request-pre-approval'),
      }),
      trigger: 'access-request-pre-approval',
    })
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body)).toEqual(decision)
  })

  it('a key function does not turn off invocation-id keying: a replayed SYNC approval runs once', async () => {
    let runs = 0
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TEST_TOKEN] },
      logger: false,
      dedupe: { store: createMemoryDedupeStore(), key: byIdentity }, // returns nothing for approvals
    }).on('idn:access-request-pre-approval', () => {
      runs++
      return { approved: true, comment: 'ok', approver: 'svc' }
    })
    const body = JSON.stringify({
      ...preApprovalSample(),
      _metadata: invocationMetadata('idn:access-request-pre-approval'),
    })
    const deliver = () =>
      receiver.handle({ method: 'POST', headers, body, trigger: 'access-request-pre-approval' })
    expect((await deliver()).status).toBe(200)
    expect((await deliver()).status).toBe(409)
    expect(runs).toBe(1)
  })

  it('an ASYNC handler that fails after the 200 gives its claim back, so a redelivery runs', async () => {
    const memory = createMemoryDedupeStore()
    let released!: () => void
    const releasedOnce = new Promise<void>((resolve) => {
      released = resolve
    })
    const store: DedupeStore = {
      claim: (key, ttlMs) => memory.claim(key, ttlMs),
      release: (key) => {
        memory.release(key)
        released()
      },
    }
    let runs = 0
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TEST_TOKEN] },
      logger: false,
      dedupe: { store },
      // Nothing listens on port 9: each callback fails at once, and only the claim matters here.
      completion: { allowedCallbackOrigins: [UNREACHABLE], deadlineMs: 1 },
    }).on(
      'idn:access-request-pre-approval',
      async () => {
        runs++
        if (runs === 1) throw new Error('policy service down')
        return { approved: true, comment: 'ok', approver: 'svc' }
      },
      { mode: 'async' },
    )
    const body = JSON.stringify({
      ...preApprovalSample(),
      _metadata: {
        ...invocationMetadata('idn:access-request-pre-approval'),
        responseMode: 'async',
        callbackURL: `${UNREACHABLE}/beta/trigger-invocations/inv-1/complete`,
      },
    })
    const deliver = () =>
      receiver.handle({ method: 'POST', headers, body, trigger: 'access-request-pre-approval' })
    expect((await deliver()).status).toBe(200)
    await releasedOnce
    expect((await deliver()).status).toBe(200)
    await receiver.close()
    expect(runs).toBe(2)
  })

  it('a key function that throws: the delivery runs without deduplication, logged', async () => {
    const errors: string[] = []
    let runs = 0
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TEST_TOKEN] },
      logger: { warn() {}, error: (message: string) => errors.push(message) },
      dedupe: {
        store: createMemoryDedupeStore(),
        key: () => {
          throw new Error('no id in this payload')
        },
      },
    }).on('idn:identity-created', () => {
      runs++
    })
    const deliver = () =>
      receiver.handle({
        method: 'POST',
        headers,
        body: JSON.stringify(identityCreatedSample()),
        trigger: 'identity-created',
      })
    expect((await deliver()).status).toBe(200)
    expect((await deliver()).status).toBe(200)
    expect(runs).toBe(2)
    expect(errors).toEqual([
      'dedupe.key failed; idn:identity-created runs without deduplication',
      'dedupe.key failed; idn:identity-created runs without deduplication',
    ])
  })

  it('refuses a store that is not one', () => {
    expect(() =>
      createTriggerReceiver({ auth: { type: 'none' }, dedupe: { store: {} as DedupeStore } }),
    ).toThrow(TriggerConfigError)
  })
})
