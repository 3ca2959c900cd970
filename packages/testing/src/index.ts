export { type RequestResponseTriggerId, type SampleOverrides, sampleInput, sampleOutput } from './sample.js'
export { sampleInputs, sampleOutputs } from './samples.js'
