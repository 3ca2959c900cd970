import { randomUUID } from 'node:crypto'
import { createTriggerReceiver, TriggerConfigError, type TriggerReceiver } from '@isc-triggers/core'
import { type FakeIsc, startFakeIsc } from '@isc-triggers/testing'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bullmqQueue } from './bullmq-queue.js'
import { jobIdFor } from './job-id.js'
import { deliverInvocation, PRE_APPROVAL, rawJobData, TOKEN } from './queue-fixture.test-helper.js'
import { connection, describeWithRedis, redisUrl, uniqueQueueName } from './redis.test-helper.js'
import { createSealer } from './seal.js'
import type { StoredJob } from './stored-job.js'
import { startTriggerWorker, type TriggerWorker } from './trigger-worker.js'

const KEY = Buffer.alloc(32, 7)
const OTHER_KEY = Buffer.alloc(32, 9)
const decision = { approved: true, comment: 'sealed', approver: 'worker' }

describe('createSealer: invocation secrets sealed with AES-256-GCM', () => {
  it('opens what it sealed, with the key as a Buffer, a Uint8Array, 64 hex characters or base64', () => {
    const keys = [
      KEY,
      new Uint8Array(KEY),
      KEY.toString('hex'),
      KEY.toString('base64'),
      ` ${KEY.toString('hex')}\n`,
    ]
    const sealers = keys.map((key) => createSealer(key))
    for (const sealer of sealers) {
      expect(sealer.sealing).toBe(true)
      // Any encoding of the same bytes opens what another sealed.
      for (const other of sealers)
        expect(other.unseal(sealer.seal('s3cr3t-é', 'ctx'), 'ctx')).toBe('s3cr3t-é')
    }
  })

  it('hides the secret: prefixed, not the secret nor its base64, and different every time (random IV)', () => {
    const sealer = createSealer(KEY)
    const secret = 'a-secret-worth-hiding'
    const one = sealer.seal(secret, 'ctx')
    expect(one).toMatch(/^aes256gcm\.v1\./)
    expect(one).not.toContain(secret)
    expect(one).not.toContain(Buffer.from(secret).toString('base64').slice(0, 12))
    expect(sealer.seal(secret, 'ctx')).not.toBe(one)
  })

  it('refuses to open with another key, another context (AAD), or altered bytes', () => {
    const sealed = createSealer(KEY).seal('s3cr3t', 'https://isc/inv-1')
    expect(() => createSealer(OTHER_KEY).unseal(sealed, 'https://isc/inv-1')).toThrow(/sealKey/)
    expect(() => createSealer(KEY).unseal(sealed, 'https://isc/inv-2')).toThrow(/could not be unsealed/)
    const bytes = Buffer.from(sealed.slice('aes256gcm.v1.'.length), 'base64')
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1
    const altered = `aes256gcm.v1.${bytes.toString('base64')}`
    expect(() => createSealer(KEY).unseal(altered, 'https://isc/inv-1')).toThrow(/could not be unsealed/)
  })

  it('sealKey: false keeps secrets in clear, and says so when it meets a sealed one', () => {
    const clear = createSealer(false)
    expect(clear.sealing).toBe(false)
    expect(clear.seal('s3cr3t', 'ctx')).toBe('s3cr3t')
    expect(clear.unseal('s3cr3t', 'ctx')).toBe('s3cr3t')
    expect(() => clear.unseal(createSealer(KEY).seal('s3cr3t', 'ctx'), 'ctx')).toThrow(/sealKey: false/)
    expect(() => createSealer(KEY).unseal('s3cr3t', 'ctx')).toThrow(/not sealed/)
  })

  it.each([
    ['no key', undefined],
    ['an empty key', ''],
  ])('refuses %s, naming sealKey: false as the explicit way out', (_, key) => {
    expect(() => createSealer(key)).toThrow(TriggerConfigError)
    expect(() => createSealer(key)).toThrow(/sealKey: false/)
  })

  it.each([
    ['31 bytes', Buffer.alloc(31, 1)],
    ['33 bytes', new Uint8Array(33)],
    ['63 hex characters', 'a'.repeat(63)],
    ['base64 of 16 bytes', Buffer.alloc(16, 1).toString('base64')],
    ['a passphrase', 'correct horse battery staple'],
    ['a number', 42 as unknown as string],
  ])('refuses a key of the wrong length or kind: %s', (_, key) => {
    expect(() => createSealer(key)).toThrow(TriggerConfigError)
  })

  it('bullmqQueue() refuses a missing or bad sealKey before it connects', () => {
    const options = { connection: connection(), name: 'seal-config' }
    expect(() => bullmqQueue(options as never)).toThrow(TriggerConfigError)
    expect(() => bullmqQueue({ ...options, sealKey: 'short' })).toThrow(TriggerConfigError)
    expect(() => bullmqQueue({ ...options, sealKey: Buffer.alloc(16) })).toThrow(/32 bytes/)
  })
})

describeWithRedis('sealed secrets in Redis (web receiver and worker on one queue)', () => {
  let isc: FakeIsc
  let name: string
  let jobs: Queue
  let worker: TriggerWorker | undefined
  const receivers: TriggerReceiver[] = []
  const runs: string[] = []

  function build(sealKey: Buffer | string | false): TriggerReceiver {
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TOKEN] },
      logger: false,
      completion: { allowedCallbackOrigins: [isc.origin] },
      // Two quick attempts: a job a worker cannot unseal is retried (another worker may hold the
      // right key), then kept in the failed set.
      queue: bullmqQueue({ connection: connection(), name, sealKey, attempts: 2, backoff: { delayMs: 10 } }),
    })
    receiver.on(
      PRE_APPROVAL,
      async (_input, ctx) => {
        runs.push(ctx.invocation?.invocationId ?? '?')
        return decision
      },
      { mode: 'async' },
    )
    receivers.push(receiver)
    return receiver
  }

  /** The job data as stored, parsed. */
  async function stored(invocationId: string): Promise<StoredJob> {
    return JSON.parse(await rawJobData(redisUrl as string, name, jobIdFor({ key: invocationId })))
  }

  beforeEach(async () => {
    isc = await startFakeIsc()
    name = uniqueQueueName()
    jobs = new Queue(name, { connection: connection() })
    runs.length = 0
  })

  afterEach(async () => {
    await worker?.close()
    worker = undefined
    await jobs.obliterate({ force: true })
    await Promise.all([jobs.close(), ...receivers.splice(0).map((receiver) => receiver.close())])
    await isc.close()
  })

  it('stores the secret sealed (neither it nor its base64 is in the job), and the worker opens it for the callback', async () => {
    const secret = `isc-secret-${randomUUID()}`
    expect((await deliverInvocation(build(KEY), isc, 'inv-sealed', secret)).status).toBe(200)
    const raw = await rawJobData(redisUrl as string, name, jobIdFor({ key: 'inv-sealed' }))
    for (const form of [
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
    ])
      expect(raw).not.toContain(form.replace(/=+$/, ''))
    expect(JSON.parse(raw)).toMatchObject({
      sealed: true,
      invocation: { secret: expect.stringMatching(/^aes256gcm\.v1\./) },
    })
    worker = startTriggerWorker(build(KEY.toString('hex'))) // the same key, written another way
    const completion = await isc.waitForCompletion('inv-sealed', 30_000)
    expect(completion.body).toEqual({ secret, output: decision })
  })

  it('a worker with another sealKey fails the job, saying so, retried then kept in the failed set; the handler never runs and nothing is sent', async () => {
    expect((await deliverInvocation(build(KEY), isc, 'inv-wrong-key', 's3cr3t')).status).toBe(200)
    worker = startTriggerWorker(build(OTHER_KEY))
    await expect.poll(async () => (await jobs.getFailed()).length, { timeout: 30_000 }).toBe(1)
    const [failed] = await jobs.getFailed()
    expect(failed?.failedReason).toMatch(/sealKey is not the one that sealed the job/)
    expect(failed?.attemptsMade).toBe(2) // retried: in a rolling deploy another worker may have the key
    expect(failed?.data).toMatchObject({ invocation: { secret: expect.stringMatching(/^aes256gcm/) } })
    expect(runs).toEqual([])
    expect(isc.attempts).toEqual([])
  })

  it('a worker with sealKey: false fails a sealed job, saying so', async () => {
    expect((await deliverInvocation(build(KEY), isc, 'inv-no-key', 's3cr3t')).status).toBe(200)
    worker = startTriggerWorker(build(false))
    await expect.poll(async () => (await jobs.getFailed()).length, { timeout: 30_000 }).toBe(1)
    expect((await jobs.getFailed())[0]?.failedReason).toMatch(/sealKey: false/)
    expect(runs).toEqual([])
    expect(isc.attempts).toEqual([])
  })

  it('sealKey: false (said explicitly) stores the secret in clear, and the worker sends it', async () => {
    const secret = `clear-${randomUUID()}`
    expect((await deliverInvocation(build(false), isc, 'inv-clear', secret)).status).toBe(200)
    expect(await stored('inv-clear')).toMatchObject({ sealed: false, invocation: { secret } })
    worker = startTriggerWorker(build(false))
    expect((await isc.waitForCompletion('inv-clear', 30_000)).body).toEqual({ secret, output: decision })
  })

  it("a sealed secret copied into another invocation's job does not open there (bound to its callback URL)", async () => {
    const web = build(KEY)
    expect((await deliverInvocation(web, isc, 'inv-a', 'secret-a')).status).toBe(200)
    expect((await deliverInvocation(web, isc, 'inv-b', 'secret-b')).status).toBe(200)
    // Someone with write access to Redis moves A's sealed secret into B's job.
    const a = await stored('inv-a')
    const b = await stored('inv-b')
    const redis = new Redis(redisUrl as string)
    try {
      const copied = { ...b, invocation: { ...b.invocation, secret: a.invocation?.secret } }
      await redis.hset(`bull:${name}:${jobIdFor({ key: 'inv-b' })}`, 'data', JSON.stringify(copied))
    } finally {
      redis.disconnect()
    }
    worker = startTriggerWorker(build(KEY))
    expect((await isc.waitForCompletion('inv-a', 30_000)).body).toEqual({
      secret: 'secret-a',
      output: decision,
    })
    await expect.poll(async () => (await jobs.getFailed()).length, { timeout: 30_000 }).toBe(1)
    const [failed] = await jobs.getFailed()
    expect(failed?.id).toBe(jobIdFor({ key: 'inv-b' }))
    expect(failed?.failedReason).toMatch(/could not be unsealed/)
    expect(runs).toEqual(['inv-a'])
    expect(isc.attempts.map((attempt) => attempt.invocationId)).toEqual(['inv-a'])
  })
})
