import { describe, expect, it } from 'vitest'
import { createMemoryDedupeStore } from '../dedupe/dedupe.js'
import {
  lineLogger,
  preApprovalDelivery,
  testReceiver,
} from '../observability/channel-recorder.test-helper.js'

// Two log lines about one delivery used to carry
// neither `trigger` nor `invocationId` as fields (the ids are only in the message text, or absent),
// so a JSON logger cannot filter or join them by invocation:
// - dispatch.ts awaitSync: "The handler of X ran past N ms; the fallback output was sent" (no fields);
// - dedupe/dispatch-once.ts logStoreFault: "The dedupe store failed; X runs without deduplication"
//   ({ error } only, and the store's raw error rather than errorSummary()).

const INVOCATION = '6d8f0a2c-4e1b-4c3d-9a5e-7f9b1d3e5a7c'
const DECISION = { approved: true, comment: 'ok', approver: 'svc' }

const ids = { trigger: 'idn:access-request-pre-approval', invocationId: INVOCATION }

describe('every log line about a delivery carries its ids as fields', () => {
  it('a SYNC handler past its budget answered with the fallback', async () => {
    const logger = lineLogger()
    const receiver = testReceiver({ logger })
    let release = () => {}
    receiver.on(
      'idn:access-request-pre-approval',
      () =>
        new Promise<typeof DECISION>((resolve) => {
          release = () => resolve(DECISION)
        }),
      { timeoutMs: 20, fallback: DECISION },
    )
    expect((await receiver.handle(preApprovalDelivery(INVOCATION))).status).toBe(200)
    release()
    const line = logger.lines.find((l) => l.message.includes('the fallback output was sent'))
    expect(line?.details).toMatchObject(ids)
    await receiver.close()
  })

  it('a dedupe store that fails', async () => {
    const logger = lineLogger()
    const store = { ...createMemoryDedupeStore(), claim: () => Promise.reject(new Error('store down')) }
    const receiver = testReceiver({ logger, dedupe: { store } })
    receiver.on('idn:access-request-pre-approval', () => DECISION)
    expect((await receiver.handle(preApprovalDelivery(INVOCATION))).status).toBe(200)
    const line = logger.lines.find((l) => l.message.includes('The dedupe store failed'))
    expect(line?.details).toMatchObject(ids)
  })
})
