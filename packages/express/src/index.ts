export { createTriggerMiddleware, type TriggerMiddleware } from './middleware.js'
