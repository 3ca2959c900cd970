// Core's own test helpers and one of its internal constants, for the adapter's tests, reached by
// path in one place (test-only: not part of the package, and core does not export them).
export { closeLoopbacks, loopback } from '../../../core/src/callbacks/loopback.test-helper.js'
/** How long a reply waits for `onRejected` (then it is sent, and the hook runs on). */
export { REJECTION_HOOK_BUDGET_MS } from '../../../core/src/receiver/rejection.js'
export { turn, watch } from '../../../core/src/receiver/settled-delivery.test-helper.js'
