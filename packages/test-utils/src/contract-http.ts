import { bearer, TEST_TOKEN } from './credentials.js'

// The request and reply shapes every contract section speaks, and where the receiver is mounted.

/** One request the contract sends. `path` is absolute; the receiver is mounted at {@link MOUNT}. */
export interface HarnessRequest {
  method: string
  path: string
  headers: Record<string, string>
  body?: string | Buffer
}

export interface HarnessResponse {
  status: number
  headers: Record<string, string | undefined>
  text: string
}

/** Where every harness mounts the receiver. */
export const MOUNT = '/isc/triggers'
/** What a harness's own fallback route answers when a request is passed on to it. */
export const FALLTHROUGH_STATUS = 299

export const JSON_HEADERS = { 'content-type': 'application/json' }
/** JSON headers with the bearer token the contract's receivers accept. */
export const AUTHORISED = { ...JSON_HEADERS, authorization: bearer(TEST_TOKEN) }

/** A POST to `MOUNT + path`; a string body is sent as written, anything else as JSON. */
export function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = AUTHORISED,
): HarnessRequest {
  return {
    method: 'POST',
    path: `${MOUNT}${path}`,
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }
}
