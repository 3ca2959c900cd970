import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type ZodType, z } from 'zod'
import { isTriggerError, type TriggerIssue } from '../errors.js'
import { bearer, identityCreatedSample, preApprovalSample, TEST_TOKEN } from '../fixtures.test-helper.js'
import { createTriggerReceiver } from '../receiver/receiver.js'
import { catalog } from './catalog/index.js'
import {
  PUBLISHED,
  publishedAvailable,
  publishedTriggers,
  readPublished,
} from './catalog/published-schema.test-helper.js'
import { compiledSchema, schemaParse } from './compiled-schema.js'
import { type AnyTrigger, defineTrigger } from './define-trigger.js'
import { validate } from './validate.js'

// Validation goes through zod's public compiler (z.compile). These tests hold it to its promise,
// through the public API only: for every schema and value, the compiled parse gives what plain zod
// gives (success, output, issues), including for zod features a hand-written compiler could miss.

if (!publishedAvailable && process.env.CI)
  throw new Error(`CI must have the published trigger data at ${PUBLISHED}`)

const triggers = Object.values(catalog as Record<string, AnyTrigger>)
const catalogSchemas = triggers.flatMap((trigger) =>
  trigger.type === 'request-response'
    ? [
        { name: `${trigger.id} input`, schema: trigger.input },
        { name: `${trigger.id} output`, schema: trigger.output },
      ]
    : [{ name: `${trigger.id} input`, schema: trigger.input }],
)

/** What a parse came to: zod's output, or the issues of the TriggerError it threw. */
type Outcome = { success: true; data: unknown } | { success: false; issues: TriggerIssue[] | undefined }

function outcomeOf(parse: (value: unknown) => unknown, value: unknown): Outcome {
  try {
    return { success: true, data: parse(value) }
  } catch (error) {
    if (!isTriggerError(error)) throw error
    return { success: false, issues: error.issues }
  }
}

/** What zod's own safeParse comes to, its issues as `validate()` lists them (the first 20). */
function zodOutcome(schema: ZodType, value: unknown): Outcome {
  const result = schema.safeParse(value)
  if (result.success) return { success: true, data: result.data }
  const issues = result.error.issues.slice(0, 20)
  return {
    success: false,
    issues: issues.map((issue) => ({ path: issue.path.join('.'), code: issue.code, message: issue.message })),
  }
}

/**
 * The receiver's parse of `schema` against plain zod's: validate() of the schema as defined, and
 * zod's own safeParse (validate() looks for a refused value's issues part by part, see
 * first-issues.ts; for these values it finds zod's first 20, in zod's order).
 */
function expectSameAsZod(schema: ZodType, value: unknown): Outcome {
  const compiled = outcomeOf(schemaParse(schema, 'INVALID_PAYLOAD', 'payload'), value)
  const plain = outcomeOf((v) => validate(schema, v, 'INVALID_PAYLOAD', 'payload'), value)
  expect(compiled, JSON.stringify(value)).toStrictEqual(plain)
  expect(compiled, JSON.stringify(value)).toStrictEqual(zodOutcome(schema, value))
  return compiled
}

/** `value` with each of its parts in turn replaced by another kind of value, removed or extended. */
function* variants(value: unknown): Generator<unknown> {
  const replacements: unknown[] = [
    undefined,
    null,
    42,
    1.5,
    -1,
    'text',
    '',
    true,
    [],
    {},
    [null],
    { extra: 1 },
  ]
  function* at(node: unknown, rebuild: (replacement: unknown) => unknown): Generator<unknown> {
    for (const replacement of replacements) yield rebuild(replacement)
    if (Array.isArray(node)) {
      yield rebuild([])
      yield rebuild([...node, ...node])
      for (let i = 0; i < node.length; i++)
        yield* at(node[i], (replacement) => rebuild(node.map((item, j) => (j === i ? replacement : item))))
    } else if (typeof node === 'object' && node !== null) {
      yield rebuild({ ...node, addedLater: { x: 1 } })
      for (const key of Object.keys(node)) {
        const { [key]: _, ...without } = node as Record<string, unknown>
        yield rebuild(without)
        yield* at((node as Record<string, unknown>)[key], (replacement) =>
          rebuild({ ...node, [key]: replacement }),
        )
      }
    }
  }
  yield* at(value, (replacement) => replacement)
}

// SailPoint's published examples (when the folder is beside the repository; CI has it), and core's
// own samples.
const published = publishedTriggers().flatMap(({ folder, id }) => {
  const trigger = (catalog as Record<string, AnyTrigger>)[id]!
  return readdirSync(join(PUBLISHED, folder))
    .filter((file) => /^example-(input|output(-\d+)?)\.json$/.test(file))
    .map((file) => ({
      name: `${folder}/${file}`,
      schema: file.startsWith('example-input') ? trigger.input : (trigger as { output: ZodType }).output,
      value: readPublished(folder, file),
    }))
})
const examples = [
  ...published,
  {
    name: 'identityCreatedSample',
    schema: catalog['idn:identity-created'].input as ZodType,
    value: identityCreatedSample(),
  },
  {
    name: 'preApprovalSample',
    schema: catalog['idn:access-request-pre-approval'].input as ZodType,
    value: preApprovalSample(),
  },
]

describe('the catalog, compiled', () => {
  it('compiles every input and output schema, once (zod returns a schema it cannot compile as it is)', () => {
    const uncompiled = catalogSchemas.filter(({ schema }) => compiledSchema(schema) === schema)
    expect(uncompiled.map(({ name }) => name)).toEqual([])
    for (const { schema } of catalogSchemas) expect(compiledSchema(schema)).toBe(compiledSchema(schema))
  })

  it.skipIf(!publishedAvailable)('reads the published examples (inputs and outputs)', () => {
    expect(published.length).toBeGreaterThan(30)
    expect(published.filter(({ name }) => name.includes('example-output')).length).toBeGreaterThan(2)
  })

  it.each(examples)('accepts $name, with the output zod gives', ({ schema, value }) => {
    const outcome = expectSameAsZod(schema, value)
    expect(outcome.success).toBe(true)
  })

  it.each(examples)(
    'judges every mutation of $name as zod does (result, output, issues)',
    ({ schema, value }) => {
      let accepted = 0
      let refused = 0
      for (const variant of variants(value)) {
        if (expectSameAsZod(schema, variant).success) accepted++
        else refused++
      }
      expect(refused, 'mutations refused').toBeGreaterThan(0)
      expect(accepted, 'mutations accepted').toBeGreaterThan(0)
    },
  )
})

describe('what the handler receives', () => {
  const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }
  const receiver = () =>
    createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false })

  it('is zod’s output: unknown keys of a strip object dropped, transforms and defaults applied', async () => {
    const shaped = defineTrigger({
      id: 'acme:shaped',
      type: 'fire-and-forget',
      input: z.object({
        count: z.string().transform(Number),
        tags: z.array(z.string()).default([]),
        owner: z.object({ id: z.string() }),
        extra: z.looseObject({ kept: z.boolean() }),
      }),
    })
    const received: unknown[] = []
    const reply = await receiver()
      .on(shaped, (input) => {
        received.push(input)
      })
      .handle({
        method: 'POST',
        headers,
        body: JSON.stringify({
          count: '42',
          owner: { id: 'a', dropped: 1 },
          extra: { kept: true, also: 2 },
          gone: 3,
        }),
        trigger: 'acme:shaped',
      })
    expect(reply.status).toBe(200)
    expect(received).toStrictEqual([
      { count: 42, tags: [], owner: { id: 'a' }, extra: { kept: true, also: 2 } },
    ])
  })

  it('is what schema.safeParse(body).data gives, for a catalog trigger', async () => {
    const received: unknown[] = []
    const body = { ...identityCreatedSample(), addedByIscLater: { kept: [1] } }
    const reply = await receiver()
      .on('idn:identity-created', (input) => {
        received.push(input)
      })
      .handle({ method: 'POST', headers, body: JSON.stringify(body), trigger: 'identity-created' })
    expect(reply.status).toBe(200)
    expect(received).toStrictEqual([catalog['idn:identity-created'].input.safeParse(body).data])
  })

  it('refuses an invalid payload with INVALID_PAYLOAD and zod’s first 20 issues', async () => {
    const wide = defineTrigger({
      id: 'acme:wide',
      type: 'fire-and-forget',
      input: z.object(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field${i}`, z.string()]))),
    })
    const reply = await receiver()
      .on(wide, () => {})
      .handle({ method: 'POST', headers, body: '{}', trigger: 'acme:wide' })
    expect(reply.status).toBe(400)
    const error = JSON.parse(reply.body).error
    expect(error.code).toBe('INVALID_PAYLOAD')
    expect(error.issues).toHaveLength(20)
    expect(error.issues[0]).toEqual({
      path: 'field0',
      code: 'invalid_type',
      message: 'Invalid input: expected string, received undefined',
    })
    expect(error.issues).toEqual(
      wide.input
        .safeParse({})
        .error!.issues.slice(0, 20)
        .map((issue) => ({ path: issue.path.join('.'), code: issue.code, message: issue.message })),
    )
  })

  it('checks a SYNC decision with the compiled output schema: zod’s output is sent, an invalid one is a 500', async () => {
    let decision: unknown = { approved: true, comment: 'ok', approver: 'svc', unknownKey: 1 }
    const on = receiver().on('idn:access-request-pre-approval', () => decision as never, { mode: 'sync' })
    const deliver = () =>
      on.handle({
        method: 'POST',
        headers,
        body: JSON.stringify(preApprovalSample()),
        trigger: 'access-request-pre-approval',
      })
    const output = catalog['idn:access-request-pre-approval'].output
    const accepted = await deliver()
    expect(accepted.status).toBe(200)
    expect(JSON.parse(accepted.body)).toStrictEqual(output.parse(decision))
    decision = { approved: 'yes' }
    expect(output.safeParse(decision).success).toBe(false)
    expect((await deliver()).status).toBe(500)
  })
})

describe('zod features a compiler must know (the previous, hand-written one accepted too much)', () => {
  const hasXor = typeof (z as { xor?: unknown }).xor === 'function'
  const hasExactOptional = typeof (z as { exactOptional?: unknown }).exactOptional === 'function'

  it.runIf(hasXor)('z.xor: exactly one option must match', () => {
    const schema = z.looseObject({
      choice: z.xor([z.looseObject({ a: z.string() }), z.looseObject({ b: z.number() })]),
    })
    const judged = [
      { choice: { a: 'x' } },
      { choice: { b: 1 } },
      { choice: { a: 'x', b: 1 } },
      { choice: {} },
      { choice: { a: 1, b: 'x' } },
    ].map((value) => expectSameAsZod(schema, value).success)
    expect(judged).toEqual([true, true, false, false, false])
  })

  it.runIf(hasExactOptional)('z.exactOptional: the key may be absent, not undefined', () => {
    const schema = z.object({ note: z.string().exactOptional(), kept: z.exactOptional(z.number()) })
    const judged = [{}, { note: 'a', kept: 1 }, { note: undefined }, { kept: undefined }, { note: null }].map(
      (value) => expectSameAsZod(schema, value).success,
    )
    expect(judged).toEqual([true, true, false, false, false])
  })

  it.runIf(hasXor && hasExactOptional)('both, through a receiver', async () => {
    const both = defineTrigger({
      id: 'acme:both',
      type: 'fire-and-forget',
      input: z.looseObject({
        choice: z.xor([z.looseObject({ a: z.string() }), z.looseObject({ b: z.number() })]),
        note: z.string().exactOptional(),
      }),
    })
    const seen: unknown[] = []
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TEST_TOKEN] },
      logger: false,
    }).on(both, (input) => {
      seen.push(input)
    })
    const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }
    const statuses = []
    for (const body of [
      { choice: { a: 'x' } },
      { choice: { a: 'x', b: 1 } },
      { choice: { b: 1 }, note: undefined },
    ])
      statuses.push((await receiver.handle({ method: 'POST', headers, body, trigger: 'acme:both' })).status)
    expect(statuses).toEqual([200, 400, 400])
    expect(seen).toStrictEqual([{ choice: { a: 'x' } }])
  })

  it('a schema zod cannot compile (recursive, async) is parsed by zod as it is', async () => {
    const node: ZodType = z.looseObject({
      name: z.string(),
      get children() {
        return z.array(node)
      },
    })
    expect(compiledSchema(node)).toBe(node)
    expectSameAsZod(node, { name: 'a', children: [{ name: 'b', children: [] }] })
    expectSameAsZod(node, { name: 'a', children: [{ name: 2, children: [] }] })
    const slow = z.string().refine(async () => true)
    expect(compiledSchema(slow)).toBe(slow)
  })
})

describe('z.config({ jitless: true })', () => {
  const before = z.config().jitless
  afterEach(() => {
    z.config({ jitless: before })
  })

  it('compiles nothing (no new Function), and validation works as before', () => {
    z.config({ jitless: true })
    const schema = z.looseObject({ id: z.string(), count: z.number().int().optional() })
    expect(compiledSchema(schema)).toBe(schema)
    // A catalog schema compiled earlier is not used either.
    const identity = catalog['idn:identity-created'].input
    expect(compiledSchema(identity)).toBe(identity)
    for (const value of [{ id: 'a' }, { id: 'a', count: 1.5 }, { id: 1 }, identityCreatedSample()])
      expectSameAsZod(schema, value)
    for (const { schema: each, value } of examples) expect(expectSameAsZod(each, value).success).toBe(true)
  })

  it('a receiver set up under jitless validates deliveries as zod does', async () => {
    z.config({ jitless: true })
    const seen: unknown[] = []
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TEST_TOKEN] },
      logger: false,
    }).on('idn:identity-created', (input) => {
      seen.push(input)
    })
    const headers = { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' }
    const sample = identityCreatedSample()
    const valid = await receiver.handle({
      method: 'POST',
      headers,
      body: JSON.stringify(sample),
      trigger: 'identity-created',
    })
    expect(valid.status).toBe(200)
    expect(seen).toStrictEqual([catalog['idn:identity-created'].input.parse(sample)])
    const body = JSON.stringify({ ...sample, identity: { ...sample.identity, id: 7 } })
    const invalid = await receiver.handle({ method: 'POST', headers, body, trigger: 'identity-created' })
    expect(invalid.status).toBe(400)
    expect(JSON.parse(invalid.body).error.issues).toEqual([
      {
        path: 'identity.id',
        code: 'invalid_type',
        message: 'Invalid input: expected string, received number',
      },
    ])
  })
})
