/**
 * Injection token of the module's `TriggerReceiver`, with its `@OnTrigger()` handlers registered
 * (in an HTTP application and in an application context alike). With a `queue`, give it to
 * `startTriggerWorker` of `@isc-triggers/bullmq` to run the stored deliveries.
 *
 * @example
 * const app = await NestFactory.createApplicationContext(AppModule) // a worker process: no HTTP server
 * const worker = startTriggerWorker(app.get(TRIGGER_RECEIVER), { concurrency: 16 })
 * process.once('SIGTERM', async () => { await worker.close(); await app.close() })
 */
export const TRIGGER_RECEIVER = Symbol('isc-triggers:receiver')
/** Metadata key `@OnTrigger()` writes on a handler method. */
export const TRIGGER_HANDLER_METADATA = 'isc-triggers:handler'
/** Metadata key marking the module's own route handlers (Nest copies it onto the Express route). */
export const TRIGGERS_ROUTE = Symbol('isc-triggers:route')
