// What every test file of the adapter sets up: a fake ISC for the callbacks and receivers with
// both Lambda handlers, closed after each test. Test-only: not part of the package.
import {
  createTriggerReceiver,
  type TriggerContext,
  type TriggerReceiver,
  type TriggerReceiverOptions,
  type TriggerRejection,
} from '@isc-triggers/core'
import { type FakeIsc, startFakeIsc } from '@isc-triggers/testing'
import { bearer, INVOCATION_SECRET, preApprovalSample, TEST_TOKEN } from '@isc-triggers-internal/test-utils'
import { afterAll, afterEach, beforeAll } from 'vitest'
import {
  type EventBridgeTriggerHandler,
  type LambdaHttpHandler,
  toEventBridgeHandler,
  toLambdaHandler,
} from '../index.js'

export const MOUNT = '/isc/triggers'
export const AUTHORISED = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }
export const PRE_APPROVAL = 'idn:access-request-pre-approval'

/** One receiver, its two handlers, and what reached it. */
export interface Subject {
  receiver: TriggerReceiver
  /** `toLambdaHandler`, mounted at {@link MOUNT} unless `setUp` was given another path. */
  http: LambdaHttpHandler
  events: EventBridgeTriggerHandler
  /** What `onRejected` was given. */
  rejections: TriggerRejection[]
  /** The inputs and contexts of `idn:identity-created`, whose handler records them. */
  inputs: unknown[]
  contexts: TriggerContext[]
}

export interface TestBed {
  /** The fake ISC (from `beforeAll` on); its origin is on every receiver's callback allowlist. */
  readonly isc: FakeIsc
  /**
   * A receiver requiring the bearer token {@link TEST_TOKEN}, quiet, keeping refusals in
   * `rejections`, with an `idn:identity-created` handler; `options` override any of it.
   * `path: null` mounts `http` without a path option (at the root).
   */
  setUp(options?: Partial<TriggerReceiverOptions>, path?: string | null): Subject
  /** A pre-approval payload with the `_metadata` ISC adds, its callback at `origin` (the fake's). */
  decisionDetail(invocationId: string, origin?: string): Record<string, unknown>
}

/**
 * Registers the file's hooks (a fake ISC for the file, receivers closed after each test) and
 * returns what the tests set up with. Call it once, at the top of a test file.
 *
 * @example
 * const bed = useTestBed()
 * it('…', async () => {
 *   const { events, inputs } = bed.setUp()
 *   await events(iscEvent('idn:identity-created', identityCreatedSample()))
 * })
 */
export function useTestBed(): TestBed {
  let isc: FakeIsc | undefined
  const receivers: TriggerReceiver[] = []
  beforeAll(async () => {
    isc = await startFakeIsc()
  })
  afterAll(() => isc?.close())
  // Cleanup only: a test has already seen what it waited for; what still runs is given up.
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close({ timeoutMs: 1_000 })))
  })
  const bed: TestBed = {
    get isc() {
      if (isc === undefined) throw new Error('the fake ISC starts in beforeAll')
      return isc
    },
    setUp(options = {}, path = MOUNT) {
      const rejections: TriggerRejection[] = []
      const receiver = createTriggerReceiver({
        auth: { type: 'bearer', tokens: [TEST_TOKEN] },
        logger: false,
        completion: { allowedCallbackOrigins: [bed.isc.origin] },
        onRejected: (rejection) => void rejections.push(rejection),
        ...options,
      })
      receivers.push(receiver)
      const inputs: unknown[] = []
      const contexts: TriggerContext[] = []
      receiver.on('idn:identity-created', async (input, ctx) => {
        inputs.push(input)
        contexts.push(ctx)
      })
      const http = path === null ? toLambdaHandler(receiver) : toLambdaHandler(receiver, { path })
      return { receiver, http, events: toEventBridgeHandler(receiver), rejections, inputs, contexts }
    },
    decisionDetail(invocationId, origin = bed.isc.origin) {
      return {
        ...preApprovalSample(),
        _metadata: {
          callbackURL: `${origin}/beta/trigger-invocations/${invocationId}/complete`,
          secret: INVOCATION_SECRET,
          triggerId: PRE_APPROVAL,
          triggerType: 'requestResponse',
          responseMode: 'async',
        },
      }
    },
  }
  return bed
}
