/** The bearer token the contract suite's receivers accept. */
export const TEST_TOKEN = 'test-token-9f2c4e'
/** A second valid token: rotation means several are accepted at once. */
export const ROTATED_TOKEN = 'test-token-rotated-51ab'
/** A Basic credential whose password contains ':' (allowed by RFC 7617). */
export const TEST_BASIC = { username: 'isc', password: 'pa:ss:word' }

/** `Authorization` value for a bearer token. */
export function bearer(token: string): string {
  return `Bearer ${token}`
}

/** `Authorization` value for HTTP Basic. */
export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`
}
