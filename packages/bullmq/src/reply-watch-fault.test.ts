import type { QueuedDelivery } from '@isc-triggers/core'
import type { Queue } from 'bullmq'
import { describe, expect, it, vi } from 'vitest'
import type { ReplyChannel, ReplyClaim, ReplyMessage } from './reply-channel.js'
import { watchDynamicReply } from './reply-watch.js'
import type { StoredJob } from './stored-job.js'

// The web process's side of a DYNAMIC delivery, with a fake reply channel and a fake queue (no
// Redis): its answer must follow its claim. `inline` (or a claim whose outcome it cannot learn)
// is a 200 with the decision; `callback` is a 202 (undefined), and so is a deferral.

const output = { approved: true, comment: 'inline', approver: 'worker' }
const BUDGET_MS = 60_000

/** A DYNAMIC delivery received `ago` ms before now. */
function dynamicDelivery(ago = 0): QueuedDelivery {
  const receivedAt = Date.now() - ago
  return {
    v: 1,
    trigger: 'idn:access-request-dynamic-approver',
    mode: 'dynamic',
    input: {},
    receivedAt,
    key: 'inv-1',
    deadlineAt: receivedAt + 3_600_000,
    replyBy: receivedAt + 10_000,
  }
}

/** A fake ReplyChannel: the test sends messages with `send` and decides each claim with `claim`. */
function fakeChannel(claim: (id: string, kind: ReplyClaim) => Promise<ReplyClaim>) {
  const listeners = new Map<string, (message: ReplyMessage) => void>()
  const channel = {
    subscribed: vi.fn(async () => 1),
    listen: vi.fn((id: string, listener: (message: ReplyMessage) => void) => {
      listeners.set(id, listener)
      return () => listeners.delete(id)
    }),
    claim: vi.fn(claim),
  }
  const send = (message: ReplyMessage) => listeners.get(message.id)?.(message)
  return { channel, replies: channel as unknown as ReplyChannel, send, listening: () => listeners.size }
}

/** A fake BullMQ queue whose getJob finds `stored` (or nothing). */
function fakeQueue(stored?: Partial<StoredJob>): Queue {
  return { getJob: vi.fn(async () => (stored ? { data: stored } : undefined)) } as unknown as Queue
}

describe('watchDynamicReply: the answer follows the claim', () => {
  it('claims inline with the decision in hand, under the job id of the delivery', async () => {
    const { channel, replies, send, listening } = fakeChannel(async () => 'inline')
    const watch = watchDynamicReply(fakeQueue(), replies, dynamicDelivery())
    const waiting = watch.wait(BUDGET_MS)
    send({ id: 'isc-inv-1', kind: 'decision', output })
    expect(await waiting).toEqual({ output })
    expect(channel.claim).toHaveBeenCalledTimes(1)
    expect(channel.claim.mock.calls[0]?.slice(0, 2)).toEqual(['isc-inv-1', 'inline'])
    expect(listening()).toBe(0) // stopped listening once answered
  })

  it("a claim still unanswered at ISC's 10 s mark answers 200 with the decision: the claim may have landed (it does, later)", async () => {
    let settleClaim: (claim: ReplyClaim) => void = () => {}
    const late = new Promise<ReplyClaim>((resolve) => {
      settleClaim = resolve
    })
    const { channel, replies, send } = fakeChannel(() => late)
    // Received 9 990 ms ago: ISC's 10 s mark is about 10 ms away when the decision arrives.
    const watch = watchDynamicReply(fakeQueue(), replies, dynamicDelivery(9_990))
    const waiting = watch.wait(BUDGET_MS)
    send({ id: 'isc-inv-1', kind: 'decision', output })
    // wait() answers without the claim's outcome: only then does the claim land, inline.
    const answer = await waiting
    settleClaim('inline')
    expect(await late).toBe('inline')
    expect(answer).toEqual({ output })
    expect(channel.claim).toHaveBeenCalledTimes(1)
  })

  it('a claim the worker made first (callback) answers 202', async () => {
    const { replies, send } = fakeChannel(async () => 'callback')
    const watch = watchDynamicReply(fakeQueue(), replies, dynamicDelivery())
    const waiting = watch.wait(BUDGET_MS)
    send({ id: 'isc-inv-1', kind: 'decision', output })
    expect(await waiting).toBeUndefined()
  })

  it('a claim that fails (Redis gone) answers 200 with the decision: a 202 could leave ISC with none', async () => {
    const { replies, send } = fakeChannel(async () => {
      throw new Error('Connection is closed.')
    })
    const watch = watchDynamicReply(fakeQueue(), replies, dynamicDelivery())
    const waiting = watch.wait(BUDGET_MS)
    send({ id: 'isc-inv-1', kind: 'decision', output })
    expect(await waiting).toEqual({ output })
  })

  it('a deferred message answers 202 at once, without claiming', async () => {
    const { channel, replies, send } = fakeChannel(async () => 'inline')
    const watch = watchDynamicReply(fakeQueue(), replies, dynamicDelivery())
    const waiting = watch.wait(BUDGET_MS)
    send({ id: 'isc-inv-1', kind: 'deferred' })
    expect(await waiting).toBeUndefined()
    expect(channel.claim).not.toHaveBeenCalled()
  })

  it('a decision stored before the subscription was in place is found by the early look-up and answered inline', async () => {
    const { channel, replies } = fakeChannel(async () => 'inline')
    const queue = fakeQueue({ decision: { output } })
    expect(await watchDynamicReply(queue, replies, dynamicDelivery()).wait(BUDGET_MS)).toEqual({ output })
    expect(queue.getJob).toHaveBeenCalledWith('isc-inv-1')
    expect(channel.claim).toHaveBeenCalledTimes(1)
  })

  it('a stored decision flagged deferred (ctx.defer()) is not answered inline by the early look-up', async () => {
    const { channel, replies } = fakeChannel(async () => 'inline')
    const queue = fakeQueue({ decision: { output }, deferred: true })
    // No message comes: the budget (short here) runs out, and the answer is a 202.
    const answer = await watchDynamicReply(queue, replies, dynamicDelivery()).wait(200)
    expect(queue.getJob).toHaveBeenCalledWith('isc-inv-1')
    expect(answer).toBeUndefined()
    expect(channel.claim).not.toHaveBeenCalled()
  })
})
