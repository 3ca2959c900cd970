// A valid payload for every catalog trigger, written for isc-triggers (invented people, ids and
// systems, shaped like SailPoint's published examples), one file per family of triggers in
// sample-payloads/ as in core's catalog. Tests, the demo and the simulator use them.
import { accessRequestInputs, accessRequestOutputs } from './sample-payloads/access-request.js'
import { accountInputs } from './sample-payloads/account.js'
import { campaignInputs } from './sample-payloads/campaign.js'
import { governanceInputs } from './sample-payloads/governance.js'
import { identityInputs } from './sample-payloads/identity.js'
import { machineIdentityInputs } from './sample-payloads/machine-identity.js'
import { platformInputs } from './sample-payloads/platform.js'
import type { SampleInputs, SampleOutputs } from './sample-payloads/shared.js'
import { sourceInputs } from './sample-payloads/source.js'

/** The sample input of every catalog trigger. */
export const sampleInputs: SampleInputs = {
  ...accessRequestInputs,
  ...accountInputs,
  ...campaignInputs,
  ...identityInputs,
  ...machineIdentityInputs,
  ...sourceInputs,
  ...platformInputs,
  ...governanceInputs,
}

/** The sample decision of every request-response trigger. */
export const sampleOutputs: SampleOutputs = accessRequestOutputs
