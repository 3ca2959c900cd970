/** Injection token of the module's `TriggerReceiver`. */
export const TRIGGER_RECEIVER = Symbol('isc-triggers:receiver')
/** Metadata key `@OnTrigger()` writes on a handler method. */
export const TRIGGER_HANDLER_METADATA = 'isc-triggers:handler'
