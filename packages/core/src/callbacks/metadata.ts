import { TriggerError } from '../errors.js'
import type { JsonObject } from '../http/json-body.js'
import type { TriggerInvocation } from '../types.js'

const FIELDS = ['triggerId', 'triggerType', 'responseMode', 'callbackURL', 'secret', 'invocationId'] as const

// `.../trigger-invocations/{id}/complete`, with or without the `/v1` of the per-resource API.
const INVOCATION_ID_IN_URL = /\/trigger-invocations\/(?:v1\/)?([^/?#]+)\/complete(?:[?#]|$)/

/**
 * The invocation id in a complete-invocation URL, still percent-encoded; undefined when the URL is
 * not one.
 *
 * @example
 * invocationIdInUrl('https://acme.api.identitynow.com/beta/trigger-invocations/3c1f/complete') // '3c1f'
 */
export function invocationIdInUrl(url: string): string | undefined {
  return INVOCATION_ID_IN_URL.exec(url)?.[1]
}

/** A delivery split into the trigger's input and ISC's `_metadata`. */
export interface SplitDelivery {
  input: JsonObject
  invocation: TriggerInvocation | undefined
}

/**
 * Takes `_metadata` off the body (no trigger schema declares it) and checks its fields are
 * strings. The body object is copied only when it has `_metadata`.
 *
 * @example
 * splitMetadata({ identity: {}, _metadata: { triggerId: 'idn:identity-created' } })
 * // { input: { identity: {} }, invocation: { triggerId: 'idn:identity-created' } }
 */
export function splitMetadata(body: JsonObject): SplitDelivery {
  if (!Object.hasOwn(body, '_metadata')) return { input: body, invocation: undefined }
  const { _metadata: metadata, ...input } = body
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    throw new TriggerError('INVALID_PAYLOAD', '`_metadata` must be an object', {
      issues: [{ path: '_metadata', code: 'invalid_type', message: 'expected object' }],
    })
  const invocation: TriggerInvocation = {}
  for (const field of FIELDS) {
    const value = (metadata as Record<string, unknown>)[field]
    if (value === undefined || value === null) continue
    if (typeof value !== 'string')
      throw new TriggerError('INVALID_PAYLOAD', `\`_metadata.${field}\` must be a string`, {
        issues: [{ path: `_metadata.${field}`, code: 'invalid_type', message: 'expected string' }],
      })
    invocation[field] = value
  }
  if (invocation.invocationId === undefined && invocation.callbackURL !== undefined) {
    const id = invocationIdInUrl(invocation.callbackURL)
    if (id !== undefined) invocation.invocationId = decodedId(id)
  }
  return { input, invocation }
}

/**
 * The id decoded, or as sent when it is not valid percent-encoding. Nothing taken from a request
 * body may throw past here (it would be a 5xx): an ASYNC or DYNAMIC delivery with such a URL gets
 * 400 INVALID_CALLBACK from the callback guard, and the other modes do not use the URL.
 */
function decodedId(id: string): string {
  try {
    return decodeURIComponent(id)
  } catch {
    return id
  }
}
