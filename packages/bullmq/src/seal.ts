import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { TriggerConfigError } from '@isc-triggers/core'

/**
 * How invocation secrets are kept in Redis: sealed with AES-256-GCM under a 32-byte key, or (only
 * when the user said `sealKey: false`) in clear.
 */
export interface Sealer {
  readonly sealing: boolean
  seal(secret: string, context: string): string
  /** Throws a clear error when the key is not the one that sealed it. */
  unseal(sealed: string, context: string): string
}

const PREFIX = 'aes256gcm.v1.'
const IV_BYTES = 12
const TAG_BYTES = 16

/** A 32-byte key from bytes, 64 hex characters or base64 (what `openssl rand -base64 32` prints). */
function keyBytes(key: string | Uint8Array): Buffer {
  if (key instanceof Uint8Array) {
    if (key.byteLength === 32) return Buffer.from(key)
  } else if (typeof key === 'string') {
    const text = key.trim()
    if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex')
    const decoded = Buffer.from(text, 'base64')
    if (decoded.byteLength === 32 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return decoded
  }
  throw new TriggerConfigError(
    'bullmqQueue: sealKey must be 32 bytes (a Buffer, 64 hex characters, or base64 such as `openssl rand -base64 32` prints)',
  )
}

/**
 * The sealer for `sealKey`. Without a key it refuses to start, unless the user wrote
 * `sealKey: false`: invocation secrets would then sit in Redis in clear.
 *
 * @example
 * const sealer = createSealer(process.env.ISC_JOB_KEY)
 * sealer.unseal(sealer.seal('s3cr3t', 'job-1'), 'job-1') // 's3cr3t'
 */
export function createSealer(sealKey: string | Uint8Array | false | undefined): Sealer {
  if (sealKey === false)
    return {
      sealing: false,
      seal: (secret) => secret,
      unseal(stored) {
        if (stored.startsWith(PREFIX))
          throw new Error('The invocation secret in this job is sealed, but this worker has sealKey: false')
        return stored
      },
    }
  if (sealKey === undefined || sealKey === '')
    throw new TriggerConfigError(
      'bullmqQueue: give sealKey (32 bytes) to seal invocation secrets at rest, or sealKey: false to store them in clear',
    )
  const key = keyBytes(sealKey)
  return {
    sealing: true,
    seal(secret, context) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(context, 'utf8'))
      const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')
    },
    unseal(stored, context) {
      if (!stored.startsWith(PREFIX))
        throw new Error('The invocation secret in this job is not sealed, but this worker has a sealKey')
      const bytes = Buffer.from(stored.slice(PREFIX.length), 'base64')
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES))
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
      try {
        return Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8')
      } catch {
        throw new Error(
          "The invocation secret could not be unsealed: this worker's sealKey is not the one that sealed the job",
        )
      }
    },
  }
}
