export { createTriggerMiddleware, type KoaTriggerMiddlewareOptions } from './middleware.js'
