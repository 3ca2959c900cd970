import { compile, config, type ZodType } from 'zod'
import type { TriggerErrorCode } from '../errors.js'
import { validate } from './validate.js'

/** Compiled clones, one per schema, shared by every receiver that registers the schema. */
const compiledSchemas = new WeakMap<ZodType, ZodType>()

/**
 * `schema` with zod's ahead-of-time compiled fast path: `z.compile()`, zod's public compiler
 * (zod ≥ 4.5). Zod documents the clone as giving the same results and the same errors as `schema`:
 * a value the generated code accepts yields the output zod's parse builds (transforms and defaults
 * applied, unknown keys of strip objects dropped), and any other value is parsed by zod's runtime,
 * so errors are zod's own. A schema zod cannot compile (async checks, recursion) comes back as it
 * is and keeps using the runtime. The original schema is not changed. Compiled once per schema.
 *
 * Under `z.config({ jitless: true })` the schema is returned as it is: `z.compile()` generates
 * code with `new Function` even then (an explicit call is an opt-in, says zod), and jitless is how
 * an application says it must not (CSP). A clone compiled before jitless was set is not used once
 * it is set.
 *
 * @example
 * const input = compiledSchema(catalog['idn:identity-created'].input).parse(body)
 */
export function compiledSchema<T extends ZodType>(schema: T): T {
  if (config().jitless) return schema
  let compiled = compiledSchemas.get(schema)
  if (compiled === undefined) {
    compiled = compile(schema)
    compiledSchemas.set(schema, compiled)
  }
  return compiled as T
}

/** Parses a value: zod's output, or a thrown `TriggerError`. */
export type SchemaParse<T> = (value: unknown) => T

/**
 * A parse of `schema` that compiles it now (see {@link compiledSchema}), for a hot path: returns
 * what `schema.safeParse(value).data` would be, or throws the `TriggerError` that `validate()`
 * throws (`code`, at most 20 issues, zod's messages).
 *
 * @example
 * const parseInput = schemaParse(trigger.input, 'INVALID_PAYLOAD', `payload of ${trigger.id}`) // at on()
 * const payload = parseInput(body) // per delivery
 */
export function schemaParse<T>(schema: ZodType<T>, code: TriggerErrorCode, what: string): SchemaParse<T> {
  const compiled = compiledSchema(schema)
  return (value) => validate(compiled, value, code, what)
}
