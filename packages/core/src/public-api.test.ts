import { expect, it } from 'vitest'
import * as core from './index.js'

// The runtime names DESIGN.md promises (outside checks call them by name). A change here is a
// change of the public API and needs a changeset.
it('exports exactly the public runtime API', () => {
  expect(Object.keys(core).sort()).toMatchInlineSnapshot(`
    [
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
      "handleNodeRequest",
      "isTriggerError",
      "receiveNodeRequest",
      "toErrorReply",
      "toNodeErrorHandler",
      "toNodeHandler",
      "triggerSegment",
      "writeReply",
    ]
  `)
})
