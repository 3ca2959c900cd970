/** Injection token of the module's `TriggerReceiver`. */
export const TRIGGER_RECEIVER = Symbol('isc-triggers:receiver')
/** Metadata key `@OnTrigger()` writes on a handler method. */
export const TRIGGER_HANDLER_METADATA = 'isc-triggers:handler'
/** Metadata key marking the module's own route handlers (Nest copies it onto the Express route). */
export const TRIGGERS_ROUTE = Symbol('isc-triggers:route')
