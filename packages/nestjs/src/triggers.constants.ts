/** Injection token of the module's `TriggerReceiver`. */
export const TRIGGER_RECEIVER = Symbol('isc-triggers:receiver')
/** Metadata key `@OnTrigger()` writes on a handler method. */
export const TRIGGER_HANDLER_METADATA = 'isc-triggers:handler'
/** Injection token of the module's `path` (as given to `forRoot` / `forRootAsync`). */
export const TRIGGERS_PATH = Symbol('isc-triggers:path')
