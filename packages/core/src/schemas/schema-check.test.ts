import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type core, type ZodType, z } from 'zod'
import { catalog } from './catalog/index.js'
import { jsonObject } from './catalog/refs.js'
import type { AnyTrigger } from './define-trigger.js'
import { compileCheck } from './schema-check.js'

const triggers = Object.values(catalog as Record<string, AnyTrigger>)
const schemasOf = (trigger: AnyTrigger) =>
  trigger.type === 'request-response'
    ? [
        { name: `${trigger.id} input`, schema: trigger.input },
        { name: `${trigger.id} output`, schema: trigger.output },
      ]
    : [{ name: `${trigger.id} input`, schema: trigger.input }]
const allSchemas = triggers.flatMap(schemasOf)

type Def = core.$ZodTypeDef & Record<string, unknown>
const defOf = (schema: unknown) => (schema as { _zod: { def: Def } })._zod.def

/** A value the schema accepts, built from its definition: every optional key present, or none. */
function exampleOf(schema: unknown, withOptionals: boolean): unknown {
  const def = defOf(schema)
  const values = (schema as { _zod: { values?: Set<unknown> } })._zod.values
  const minimum = (def.checks ?? [])
    .map((check) => (check._zod.def as { minimum?: number }).minimum ?? 0)
    .reduce((a, b) => Math.max(a, b), 1)
  switch (def.type) {
    case 'string':
      return 'text'
    case 'number':
      return 7
    case 'boolean':
      return true
    case 'null':
      return null
    case 'unknown':
      return { anything: [1] }
    case 'literal':
    case 'enum':
      return [...values!][0]
    case 'custom':
      return { attribute: 'value' }
    case 'optional':
      return withOptionals ? exampleOf(def.innerType, withOptionals) : undefined
    case 'nullable':
      return exampleOf(def.innerType, withOptionals)
    case 'array':
      return Array.from({ length: minimum }, () => exampleOf(def.element, withOptionals))
    case 'union':
      return exampleOf((def.options as unknown[])[0], withOptionals)
    case 'object': {
      const value: Record<string, unknown> = {}
      for (const [key, property] of Object.entries(def.shape as Record<string, unknown>)) {
        const example = exampleOf(property, withOptionals)
        if (example !== undefined) value[key] = example
      }
      return value
    }
    default:
      throw new Error(`no example for ${def.type}`)
  }
}

/** Every object and array inside `value`, with a function that replaces it in a copy. */
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

// SailPoint's published examples, when the folder is beside the repository (CI has it).
const TRIGGERS = resolve(import.meta.dirname, '../../../../../shared/sailpoint/triggers')
const published = existsSync(TRIGGERS)
  ? readdirSync(TRIGGERS)
      .filter((folder) => folder.startsWith('idn_'))
      .flatMap((folder) =>
        readdirSync(join(TRIGGERS, folder))
          .filter((file) => /^example-(input|output(-\d+)?)\.json$/.test(file))
          .map((file) => {
            const trigger = (catalog as Record<string, AnyTrigger>)[`idn:${folder.slice(4)}`]!
            const schema = file.startsWith('example-input')
              ? trigger.input
              : (trigger as { output: ZodType }).output
            return {
              name: `${folder}/${file}`,
              schema,
              value: JSON.parse(readFileSync(join(TRIGGERS, folder, file), 'utf8')),
            }
          }),
      )
  : []

describe('compileCheck on the catalog', () => {
  it('compiles every schema but the dynamic approver output (a union of key-stripping objects)', () => {
    const left = allSchemas.filter(({ schema }) => compileCheck(schema) === undefined).map(({ name }) => name)
    expect(left).toEqual(['idn:access-request-dynamic-approver output'])
  })

  it.each(allSchemas)('accepts what zod accepts unchanged, and never more: $name', ({ schema }) => {
    const check = compileCheck(schema)
    if (!check) return
    let accepted = 0
    let refused = 0
    for (const base of [exampleOf(schema, true), exampleOf(schema, false)]) {
      expect(check(base), 'a value built from the schema').toBe(true)
      for (const value of variants(base)) {
        if (!check(value)) {
          refused++
          continue
        }
        accepted++
        const parsed = schema.safeParse(value)
        expect(parsed.success, JSON.stringify(value)).toBe(true)
        expect(parsed.data).toStrictEqual(value)
      }
    }
    expect(refused, 'mutations the check refuses').toBeGreaterThan(0)
    expect(accepted, 'mutations the check accepts').toBeGreaterThan(0)
  })

  it.skipIf(published.length === 0)('accepts every published example as it is', () => {
    const refused = published
      .filter(({ schema, value }) => !compileCheck(schema)?.(value))
      .map(({ name }) => name)
    expect(refused).toEqual(published.filter(({ schema }) => !compileCheck(schema)).map(({ name }) => name))
  })
})

describe('compileCheck on schemas it does not model', () => {
  it.each([
    ['a transform', z.string().transform((text) => text.length)],
    ['a default', z.looseObject({ a: z.string().default('x') })],
    ['a refinement', z.string().refine((text) => text.startsWith('a'))],
    ['a string format', z.email()],
    ['a number format', z.int()],
    ['coercion', z.coerce.number()],
    ['a lazy schema', z.lazy(() => z.string())],
    ['a discriminated union', z.discriminatedUnion('k', [z.looseObject({ k: z.literal('a') })])],
    ['a record', z.record(z.string(), z.string())],
    ['a catchall other than unknown', z.object({}).catchall(z.string())],
    ['a string longer than 1 (zod counts code points)', z.string().min(2)],
    ['a key-stripping object before the last union option', z.union([z.object({ a: z.string() }), z.null()])],
    ['a readonly object', z.looseObject({ a: z.string() }).readonly()],
    ['another custom check', z.custom<string>((value) => typeof value === 'string')],
  ])('leaves %s to zod', (_, schema) => {
    expect(compileCheck(schema as ZodType)).toBeUndefined()
  })

  it('leaves a recursive schema to zod', () => {
    const node = z.looseObject({
      name: z.string(),
      get children() {
        return z.array(node)
      },
    })
    expect(compileCheck(node)).toBeUndefined()
  })
})

describe('compileCheck semantics', () => {
  afterEach(() => {
    z.config({ jitless: false })
  })

  it('passes a key-stripping object only when it has no unknown key (zod would drop it)', () => {
    const check = compileCheck(z.object({ approved: z.boolean() }))!
    expect(check({ approved: true })).toBe(true)
    expect(check({ approved: true, extra: 1 })).toBe(false)
  })

  it('refuses what is not a plain object or array, so zod makes the copy', () => {
    const check = compileCheck(z.looseObject({ tags: z.array(z.string()) }))!
    class Decision {
      tags = ['a']
    }
    expect(check({ tags: ['a'] })).toBe(true)
    expect(check(new Decision())).toBe(false)
    expect(check({ tags: new (class extends Array {})() })).toBe(false)
  })

  it('applies optional, nullable, min, int and bounds as zod does', () => {
    const check = compileCheck(
      z.strictObject({
        count: z.number().int().min(1).max(10),
        note: z.string().min(1).nullish(),
        items: z
          .array(z.enum(['A', 'B']))
          .min(1)
          .max(2),
      }),
    )!
    expect(check({ count: 1, items: ['A'] })).toBe(true)
    expect(check({ count: 10, note: null, items: ['A', 'B'] })).toBe(true)
    for (const wrong of [
      { count: 0, items: ['A'] },
      { count: 1.5, items: ['A'] },
      { count: 11, items: ['A'] },
      { count: Number.NaN, items: ['A'] },
      { count: 1, note: '', items: ['A'] },
      { count: 1, items: [] },
      { count: 1, items: ['A', 'B', 'A'] },
      { count: 1, items: ['C'] },
      { count: 1, items: ['A'], extra: true },
      { items: ['A'] },
    ])
      expect(check(wrong), JSON.stringify(wrong)).toBe(false)
  })

  it('refuses an absent key whose schema is not optional, even z.unknown() (zod does too)', () => {
    const schema = z.looseObject({ anything: z.unknown() })
    expect(compileCheck(schema)!({})).toBe(false)
    expect(schema.safeParse({}).success).toBe(false)
  })

  it('accepts any JSON object where the catalog says jsonObject, and nothing else', () => {
    const check = compileCheck(z.looseObject({ attributes: jsonObject }))!
    expect(check({ attributes: { department: 'Finance', 'odd key': [1] } })).toBe(true)
    expect(check({ attributes: [] })).toBe(false)
    expect(check({ attributes: null })).toBe(false)
  })

  it('is not generated under z.config({ jitless: true }) (no new Function in CSP environments)', () => {
    z.config({ jitless: true })
    expect(compileCheck(z.looseObject({ a: z.string() }))).toBeUndefined()
  })

  it('reads keys as data: a key cannot inject code', () => {
    const key = '"]) || globalThis.injected = true || (["'
    const check = compileCheck(z.looseObject({ [key]: z.string() }))!
    expect(check({ [key]: 'value' })).toBe(true)
    expect(check({})).toBe(false)
    expect((globalThis as { injected?: boolean }).injected).toBeUndefined()
  })
})
