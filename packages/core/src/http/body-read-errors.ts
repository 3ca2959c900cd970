import { TriggerError } from '../errors.js'

// Made only when a read fails, never ahead: a TriggerError captures a stack trace.

/** 408: the body did not arrive within the receiver's `bodyTimeoutMs`. */
export const timedOut = (ms: number): TriggerError =>
  new TriggerError('REQUEST_TIMEOUT', `The body did not arrive within ${ms} ms`)

/** 400: the client went away, the stream failed, or fewer or more bytes came than declared. */
export const incomplete = (cause?: unknown): TriggerError =>
  new TriggerError(
    'INCOMPLETE_BODY',
    'The request body ended before it was complete',
    cause === undefined ? undefined : { cause },
  )

/** 500: someone read the stream before the receiver and kept nothing: a mounting mistake. */
export const consumed = (): TriggerError =>
  new TriggerError(
    'BODY_CONSUMED',
    'The request body was read before the receiver saw it and no parsed or raw body was kept: ' +
      'mount the receiver before body parsers, or keep the raw body',
  )
