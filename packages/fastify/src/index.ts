export { type TriggersPluginOptions, triggersPlugin } from './plugin.js'
