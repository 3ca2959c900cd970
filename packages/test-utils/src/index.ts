// The fake ISC, for cross-package tests in packages/tests (which do not depend on @isc-triggers/testing).
export {
  type FakeIsc,
  type FakeIscOptions,
  type ReceivedAttempt,
  startFakeIsc,
} from '@isc-triggers/testing'
export {
  CONNECTION_CASES,
  type ContractOptions,
  FALLTHROUGH_STATUS,
  type Harness,
  type HarnessRequest,
  type HarnessResponse,
  type MakeHarness,
  MOUNT,
  runAdapterContract,
} from './adapter-contract.js'
export { basic, bearer, ROTATED_TOKEN, TEST_BASIC, TEST_TOKEN } from './credentials.js'
export {
  DECISION,
  DECISION_WITH_EXTRA,
  type Decision,
  type DecisionHandler,
  INVOCATION_SECRET,
} from './decisions.js'
export { identityCreatedSample, invocationMetadata, preApprovalSample } from './fixtures.js'
export { createGate, type Gate, settlesWithin } from './gate.js'
export { handleHarness, httpHarness } from './harness.js'
export { runReceiverProperties } from './properties.js'
