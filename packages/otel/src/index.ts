export {
  type InstrumentTriggersOptions,
  instrumentTriggers,
  type TriggerInstrumentation,
} from './instrument.js'
