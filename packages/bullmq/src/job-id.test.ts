import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { jobIdFor } from './job-id.js'

const id = (key: string | undefined) => jobIdFor({ key })

/** A small deterministic generator (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** Keys made of the characters the mapping touches, and the ones its output is made of. */
function randomKeys(count: number, seed: number): string[] {
  const alphabet = [':', '%', '3', 'A', 'a', '2', '5', '-', 'é', '0']
  const next = random(seed)
  const keys = new Set<string>()
  while (keys.size < count) {
    const length = 1 + Math.floor(next() * 8)
    let key = ''
    for (let i = 0; i < length; i++) key += alphabet[Math.floor(next() * alphabet.length)]
    keys.add(key)
  }
  return [...keys]
}

describe('jobIdFor: the BullMQ job id of a delivery', () => {
  it.each([
    ['idn:identity-created:2c91', 'isc-idn%3Aidentity-created%3A2c91'],
    ['2c9180835d191a86015d28455b4a2329', 'isc-2c9180835d191a86015d28455b4a2329'],
    ['100%', 'isc-100%25'],
    ['%3A', 'isc-%253A'],
    [':', 'isc-%3A'],
    ['a%:b', 'isc-a%25%3Ab'],
  ])('maps %j to %j', (key, expected) => {
    expect(id(key)).toBe(expected)
  })

  it('never contains a colon (BullMQ refuses such custom ids)', () => {
    for (const key of randomKeys(2_000, 1)) expect(id(key)).not.toContain(':')
  })

  it('is reversible: decoding the id gives the key back', () => {
    const decode = (jobId: string) => jobId.slice('isc-'.length).replaceAll('%3A', ':').replaceAll('%25', '%')
    for (const key of randomKeys(2_000, 2)) expect(decode(id(key))).toBe(key)
  })

  it('gives two different keys two different ids (no key made of the escapes collides)', () => {
    // The keys a naive mapping confuses: ':' against '%3A', '%' against '%25'.
    const tricky = [':', '%3A', '%253A', '%', '%25', '%2525', 'a:b', 'a%3Ab', 'a%253Ab']
    const keys = [...tricky, ...randomKeys(5_000, 3)]
    const seen = new Map<string, string>()
    for (const key of keys) {
      const jobId = id(key)
      expect(seen.get(jobId) ?? key).toBe(key)
      seen.set(jobId, key)
    }
    expect(seen.size).toBe(new Set(keys).size)
  })

  it('is never all digits, even for a key that is (BullMQ keeps those for its own ids)', () => {
    for (const key of ['0', '1', '42', '123456789012345678901234567890']) expect(id(key)).toMatch(/^isc-\d+$/)
    for (const key of randomKeys(500, 4)) expect(id(key)).not.toMatch(/^\d+$/)
  })

  it('is stable: the same key always gives the same id', () => {
    expect(id('inv-1')).toBe(id('inv-1'))
    const long = 'k'.repeat(500)
    expect(id(long)).toBe(id(long))
  })

  it('hashes a key longer than 200 characters once mapped, and keeps one of 200', () => {
    expect(id('k'.repeat(200))).toBe(`isc-${'k'.repeat(200)}`)
    const long = 'k'.repeat(201)
    expect(id(long)).toBe(`isc-%h-${createHash('sha256').update(long).digest('hex')}`)
    // 67 colons are 201 characters once mapped: hashed too.
    expect(id(':'.repeat(67))).toMatch(/^isc-%h-[0-9a-f]{64}$/)
    expect(id(':'.repeat(66))).toBe(`isc-${'%3A'.repeat(66)}`)
    expect(id('k'.repeat(201))).not.toBe(id('k'.repeat(202)))
    expect(id('x'.repeat(100_000)).length).toBe('isc-%h-'.length + 64)
  })

  // A hashed id must not be one a short key can spell: `sha256` is public, so a chosen dedupe
  // key could otherwise pass for a long-keyed delivery and not be stored.
  it('never gives a short key the id of a hashed long key', () => {
    const long = 'k'.repeat(201)
    const spelled = `sha256-${createHash('sha256').update(long).digest('hex')}`
    expect(id(spelled)).not.toBe(id(long))
  })

  it("hashes a fire-and-forget delivery's key (made of payload values, which logs must not show)", () => {
    const key = 'idn:identity-created:ada@example.com'
    const event = jobIdFor({ key, mode: 'event' })
    expect(event).toBe(`isc-%h-${createHash('sha256').update(key).digest('hex')}`)
    expect(event).not.toContain('ada')
    expect(jobIdFor({ key, mode: 'event' })).toBe(event) // stable: a duplicate finds its job
    expect(jobIdFor({ key: 'inv-1', mode: 'async' })).toBe('isc-inv-1') // an invocation id stays readable
  })

  it('gives a delivery without a key a random id', () => {
    const ids = new Set([id(undefined), id(undefined), id(''), id('')])
    expect(ids.size).toBe(4)
    for (const jobId of ids) expect(jobId).toMatch(/^isc-[0-9a-f-]{36}$/)
  })
})
