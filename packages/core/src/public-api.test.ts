import { expect, expectTypeOf, it } from 'vitest'
import * as core from './index.js'
import * as node from './node/index.js'

// The runtime names DESIGN.md promises (outside checks call them by name). A change here is a
// change of the public API and needs a changeset.
it('exports exactly the public runtime API', () => {
  expect(Object.keys(core).sort()).toMatchInlineSnapshot(`
    [
      "CALLBACK_CHANNEL",
      "DELIVERY_CHANNEL",
      "ISC_API_HOST_SUFFIXES",
      "TRIGGER_ERROR_STATUS",
      "TriggerConfigError",
      "TriggerError",
      "catalog",
      "completeInvocation",
      "createCompletionClient",
      "createMemoryDedupeStore",
      "createRedisDedupeStore",
      "createTriggerReceiver",
      "defineTrigger",
      "errorSummary",
      "isTriggerError",
      "queuedDeliveries",
      "toNodeHandler",
    ]
  `)
})

// The plumbing adapters build on, at `@isc-triggers/core/node` (not the package root).
it('exports the adapter plumbing from the node subpath', () => {
  expect(Object.keys(node).sort()).toMatchInlineSnapshot(`
    [
      "answerNodeRequest",
      "handleNodeRequest",
      "handleTrustedEvent",
      "handleUntilSettled",
      "receiveNodeRequest",
      "toErrorReply",
      "toNodeErrorHandler",
      "triggerSegment",
      "writeReply",
    ]
  `)
})

// Types are not in the runtime snapshot; these are the ones a user names in their own code.
it('exports the types of the receiver options', () => {
  expectTypeOf<core.TriggerRejection>().toEqualTypeOf<{
    trigger: string | undefined
    status: number
    code: core.TriggerErrorCode
    issues: core.TriggerIssue[]
    body: Uint8Array | string
    receivedAt: Date
  }>()
  expectTypeOf<core.TriggerReceiverOptions['onRejected']>().toEqualTypeOf<
    ((rejection: core.TriggerRejection) => unknown) | undefined
  >()
})
