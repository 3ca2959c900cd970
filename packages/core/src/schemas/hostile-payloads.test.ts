import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { type core, z } from 'zod'
import { isTriggerError } from '../errors.js'
import { bearer, invocationMetadata, preApprovalSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import { createTriggerReceiver } from '../receiver/receiver.js'
import { catalog } from './catalog/index.js'
import { schemaParse } from './compiled-schema.js'
import type { AnyTrigger } from './define-trigger.js'

// Hostile payloads cost little: validating a 1 MiB body of invalid items blocks the event loop well
// under 100 ms. zod's parse of such a body builds an issue for every fault (1.4 million issues for
// 349k empty items: seconds), so validate() looks for the first 20 part by part (first-issues.ts).
// Measured with the event-loop delay histogram (the longest time the loop could not run a timer),
// not with a clock around a fast path. SHOW_DELAYS=1 prints each body's figures, and those of its
// whole refusal (JSON.parse of 349k objects included).

const BODY_LIMIT = 1024 * 1024
const MAX_DELAY_MS = 100
const triggers = Object.values(catalog as Record<string, AnyTrigger>)

/** Where a trigger's input holds an array: a path of keys, `[]` standing for "the one item". */
interface ArrayPlace {
  path: readonly string[]
  element: core.$ZodType
}

/** Every array in `schema`, through objects, optionals, nullables, defaults, unions and arrays. */
function arraysIn(
  schema: core.$ZodType,
  path: readonly string[] = [],
  seen = new Set<unknown>(),
): ArrayPlace[] {
  if (seen.has(schema)) return []
  seen.add(schema)
  const def = (schema as core.$ZodTypes)._zod.def
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape).flatMap(([key, field]) => arraysIn(field, [...path, key], seen))
    case 'optional':
    case 'nullable':
    case 'default':
      return arraysIn(def.innerType, path, seen)
    case 'union':
      return def.options.flatMap((option) => arraysIn(option, path, seen))
    case 'array':
      return [{ path, element: def.element }, ...arraysIn(def.element, [...path, '[]'], seen)]
    default:
      return []
  }
}

/** An item `element` refuses, the costliest of a few small ones (most issues per byte). */
function invalidItem(element: core.$ZodType): unknown {
  const candidates = [{}, 0, null, 'x', []].filter((item) => !z.safeParse(element, item).success)
  const cost = (item: unknown) => {
    const result = z.safeParse(element, item)
    return result.success ? 0 : result.error.issues.length / JSON.stringify(item).length
  }
  return candidates.sort((a, b) => cost(b) - cost(a))[0]
}

/** `value` with `array` put at `path` (an `[]` step is an array of one object). */
function putAt(path: readonly string[], array: unknown[]): unknown {
  if (path.length === 0) return array
  const [step, ...rest] = path as [string, ...string[]]
  const inner = putAt(rest, array)
  return step === '[]' ? [inner] : { [step]: inner }
}

/** A body of about `BODY_LIMIT` bytes: the array at `place` filled with invalid items. */
function hostileBody(trigger: AnyTrigger, place: ArrayPlace): string {
  const item = invalidItem(place.element)
  const metadata = trigger.type === 'request-response' ? { _metadata: invocationMetadata(trigger.id) } : {}
  const shell = JSON.stringify({ ...(putAt(place.path, []) as object), ...metadata })
  const itemText = JSON.stringify(item)
  const count = Math.floor((BODY_LIMIT - shell.length - 64) / (itemText.length + 1))
  const body = JSON.stringify({
    ...(putAt(
      place.path,
      Array.from({ length: count }, () => item),
    ) as object),
    ...metadata,
  })
  expect(body.length).toBeLessThanOrEqual(BODY_LIMIT)
  return body
}

const hostile = triggers.flatMap((trigger) =>
  arraysIn(trigger.input)
    .filter((place) => invalidItem(place.element) !== undefined) // not an array of z.unknown()
    .map((place) => ({ name: `${trigger.id} ${place.path.join('.')}`, trigger, place })),
)

const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }

function receiverFor(trigger: AnyTrigger) {
  return createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false }).on(
    trigger as never,
    (() => {}) as never,
  )
}

/** Resolves once `histogram` has taken a sample after this call. */
async function nextSample(histogram: IntervalHistogram): Promise<void> {
  const taken = histogram.count
  while (histogram.count === taken) await new Promise((resolve) => setImmediate(resolve))
}

/**
 * The longest the event loop was blocked while `work` ran, in ms. The histogram's timer measures
 * how late it runs, from its previous run: so it runs once before the work (a block before its
 * first run is not measured), and once after (the late run that records the block).
 */
async function maxDelayOf(work: () => unknown): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  histogram.enable()
  try {
    await nextSample(histogram)
    await work()
    await nextSample(histogram)
  } finally {
    histogram.disable()
  }
  return histogram.max / 1e6
}

/**
 * Refuses `body` through a receiver (its status and issues), and measures the event-loop delay of
 * validating it, as the receiver does, against the bound: the least of up to five tries, since a busy
 * machine can add delay that is not the receiver's (a regression blocks for seconds every time).
 * Reading and `JSON.parse` are left out of the measure: they cost the same for a valid body of the
 * same size and shape, and `bodyLimit` is what bounds them.
 */
async function refuse(trigger: AnyTrigger, body: string) {
  const reply = await receiverFor(trigger).handle({ method: 'POST', headers, body, trigger: trigger.id })
  const { _metadata, ...input } = JSON.parse(body) as Record<string, unknown>
  const parse = schemaParse(trigger.input, 'INVALID_PAYLOAD', `payload of ${trigger.id}`)
  let refused: unknown
  let maxDelayMs = Number.POSITIVE_INFINITY
  for (let attempt = 0; attempt < 5 && maxDelayMs >= MAX_DELAY_MS; attempt++) {
    const delay = await maxDelayOf(() => {
      try {
        parse(input)
      } catch (error) {
        refused = error
      }
    })
    maxDelayMs = Math.min(maxDelayMs, delay)
  }
  if (process.env.SHOW_DELAYS) {
    const whole = await maxDelayOf(() =>
      receiverFor(trigger).handle({ method: 'POST', headers, body, trigger: trigger.id }),
    )
    console.log(`${trigger.id}: validation ${maxDelayMs.toFixed(1)} ms, whole refusal ${whole.toFixed(1)} ms`)
  }
  expect(isTriggerError(refused) && refused.code).toBe('INVALID_PAYLOAD')
  return { status: reply.status, issues: JSON.parse(reply.body).error?.issues, maxDelayMs }
}

describe('refusing a hostile 1 MiB body: its validation blocks the event loop under 100 ms', () => {
  it('covers every array of every catalog trigger, request-response and fire-and-forget', () => {
    expect(hostile.length).toBeGreaterThan(20)
    const types = new Set(hostile.map(({ trigger }) => trigger.type))
    expect([...types].sort()).toEqual(['fire-and-forget', 'request-response'])
    expect(hostile.map(({ name }) => name)).toContain('idn:access-request-pre-approval requestedItems')
    // an array inside a union, and an array inside an array's items
    expect(hostile.map(({ name }) => name)).toContain('idn:access-request-pre-approval requestedFor')
    expect(hostile.some(({ name }) => name.includes('[]'))).toBe(true)
  })

  it('349k empty requested items of a pre-approval: 400 with 20 issues', async () => {
    const count = Math.floor((BODY_LIMIT - 600) / 3)
    const body = JSON.stringify({
      ...preApprovalSample(),
      requestedItems: Array.from({ length: count }, () => ({})),
      _metadata: invocationMetadata('idn:access-request-pre-approval'),
    })
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT)
    const trigger = catalog['idn:access-request-pre-approval'] as AnyTrigger
    const { status, issues, maxDelayMs } = await refuse(trigger, body)
    expect(status).toBe(400)
    expect(issues).toHaveLength(20)
    expect(issues[0]).toEqual({
      path: 'requestedItems.0.id',
      code: 'invalid_type',
      message: 'Invalid input: expected string, received undefined',
    })
    expect(maxDelayMs).toBeLessThan(MAX_DELAY_MS)
  })

  it('the whole refusal through handle() adds less than the JSON.parse every JSON receiver pays (or 100 ms)', async () => {
    // JSON.parse of 349k objects is the floor of any JSON route (a bare express.json() pays it for a
    // valid body too); what the receiver adds (UTF-8 check, prototype walk, validation, reply) is
    // what must stay small. Each is the least of five tries, for the same reason as above.
    const count = Math.floor((BODY_LIMIT - 600) / 3)
    const body = Buffer.from(
      JSON.stringify({
        ...preApprovalSample(),
        requestedItems: Array.from({ length: count }, () => ({})),
        _metadata: invocationMetadata('idn:access-request-pre-approval'),
      }),
    )
    const receiver = receiverFor(catalog['idn:access-request-pre-approval'] as AnyTrigger)
    const deliver = () =>
      receiver.handle({ method: 'POST', headers, body, trigger: 'access-request-pre-approval' })
    expect((await deliver()).status).toBe(400)
    let whole = Number.POSITIVE_INFINITY
    let parseOnly = Number.POSITIVE_INFINITY
    // The bound scales with the machine: what the receiver adds must stay under 100 ms or under
    // the JSON.parse itself, whichever is larger (about 30 ms against 75 ms on a quiet machine; a
    // busy one slows both alike, and the regression this guards against costs seconds).
    const added = () => whole - parseOnly
    const bound = () => Math.max(MAX_DELAY_MS, parseOnly)
    for (let attempt = 0; attempt < 5 && !(added() < bound()); attempt++) {
      parseOnly = Math.min(parseOnly, await maxDelayOf(() => JSON.parse(body.toString('utf8'))))
      whole = Math.min(whole, await maxDelayOf(deliver))
    }
    if (process.env.SHOW_DELAYS)
      console.log(`whole refusal ${whole.toFixed(1)} ms, JSON.parse ${parseOnly.toFixed(1)} ms`)
    expect(added()).toBeLessThan(bound())
  })

  it('the same under z.config({ jitless: true }) (no compiled fast path)', async () => {
    const before = z.config().jitless
    z.config({ jitless: true })
    try {
      const trigger = catalog['idn:access-request-pre-approval'] as AnyTrigger
      const place = hostile.find(({ name }) => name === `${trigger.id} requestedItems`)!.place
      const { status, maxDelayMs } = await refuse(trigger, hostileBody(trigger, place))
      expect(status).toBe(400)
      expect(maxDelayMs).toBeLessThan(MAX_DELAY_MS)
    } finally {
      z.config({ jitless: before })
    }
  })

  it.each(hostile.map((each) => [each.name, each] as const))('%s', async (_, { trigger, place }) => {
    const body = hostileBody(trigger, place)
    const { status, maxDelayMs } = await refuse(trigger, body)
    expect(status).toBe(400)
    expect(maxDelayMs).toBeLessThan(MAX_DELAY_MS)
  })

  it('a field nested 200k levels deep', async () => {
    const depth = 200_000
    const body = `{"accessRequestId":${'['.repeat(depth)}${']'.repeat(depth)}}`
    const { status, maxDelayMs } = await refuse(
      catalog['idn:access-request-pre-approval'] as AnyTrigger,
      body,
    )
    expect(status).toBe(400)
    expect(maxDelayMs).toBeLessThan(MAX_DELAY_MS)
  })

  it('a 1 MiB string where an object belongs, and one where a string belongs', async () => {
    const trigger = catalog['idn:access-request-pre-approval'] as AnyTrigger
    const long = 'x'.repeat(BODY_LIMIT - 1024)
    for (const body of [
      JSON.stringify({ ...preApprovalSample(), requestedBy: long }),
      JSON.stringify({ ...preApprovalSample(), accessRequestId: long, requestedItems: 1 }),
    ]) {
      const { status, maxDelayMs } = await refuse(trigger, body)
      expect(status).toBe(400)
      expect(maxDelayMs).toBeLessThan(MAX_DELAY_MS)
    }
  })
})
