import { sampleInput } from '@isc-triggers/testing'
import { KILL_TOKEN } from './kill-config.fixture.js'

/** A reply's status, or `error` when none came back (connection refused or reset). */
export type PostOutcome = number | 'error'

/** Longest wait for one reply: a hang detector (the web process answers within its 5 s enqueue limit). */
const REPLY_TIMEOUT_MS = 30_000

async function post(url: string, body: unknown): Promise<PostOutcome> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${KILL_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REPLY_TIMEOUT_MS),
    })
    await response.arrayBuffer()
    return response.status
  } catch {
    return 'error'
  }
}

/**
 * Posts an `idn:identity-created` event for identity `id`, as ISC does.
 *
 * @example
 * await postEvent(web.base, 'ev-1') // 200 once stored
 */
export function postEvent(base: string, id: string): Promise<PostOutcome> {
  return post(`${base}/identity-created`, sampleInput('idn:identity-created', { identity: { id } }))
}

/**
 * Posts an ASYNC `idn:access-request-pre-approval` invocation with `_metadata`.
 *
 * @example
 * await postAsync(web.base, { invocationId: 'inv-1', callbackURL, accessRequestId: 'hang-1' })
 */
export function postAsync(
  base: string,
  call: { invocationId: string; callbackURL: string; accessRequestId: string },
): Promise<PostOutcome> {
  return post(`${base}/access-request-pre-approval`, {
    ...sampleInput('idn:access-request-pre-approval', { accessRequestId: call.accessRequestId }),
    _metadata: {
      callbackURL: call.callbackURL,
      secret: `secret-${call.invocationId}`,
      triggerId: 'idn:access-request-pre-approval',
      invocationId: call.invocationId,
      triggerType: 'requestResponse',
      responseMode: 'async',
    },
  })
}

/**
 * Posts until the delivery is stored (200); at most `tries` times. ISC itself never resends: a
 * 503 (the store did not answer within enqueueTimeoutMs, which only an overloaded test machine
 * makes likely) is a refusal ISC would log, not a loss these tests look for, and resending keeps
 * their counts about what was acknowledged.
 *
 * @example
 * await untilStored(() => postEvent(web.base, 'ev-1'))
 */
export async function untilStored(send: () => Promise<PostOutcome>, tries = 5): Promise<PostOutcome> {
  let outcome: PostOutcome = 'error'
  for (let i = 0; i < tries && outcome !== 200; i++) outcome = await send()
  return outcome
}

/**
 * Runs `task` for every item, `lanes` at a time (each lane takes the next item when done).
 *
 * @example
 * await inLanes(ids, 8, (id) => postEvent(web.base, id))
 */
export async function inLanes<T>(items: T[], lanes: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < items.length) await task(items[next++] as T)
  }
  await Promise.all(Array.from({ length: lanes }, lane))
}
