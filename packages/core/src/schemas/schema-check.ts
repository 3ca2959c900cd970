import { config, type ZodType } from 'zod'
import { isJsonObject } from './catalog/refs.js'

/**
 * A validator compiled from a zod schema: true only when zod would accept the value *and* return
 * it unchanged, so the value itself can be used as the parsed result. False means "ask zod" (the
 * value is invalid, or zod would return something else, such as an object with unknown keys
 * stripped): it never has to be zod's exact answer, only never wrongly true.
 */
export type ValueCheck = (value: unknown) => boolean

/** The parts of a zod 4 schema's internals read here (`schema._zod`, documented for library authors). */
interface Schema {
  _zod: {
    traits: Set<string>
    def: Record<string, unknown> & { type: string; checks?: { _zod: { def: Record<string, unknown> } }[] }
    optin?: string
    optout?: string
    values?: Set<unknown>
  }
}

const compiled = new WeakMap<object, ValueCheck | null>()

/**
 * Compiles `schema` into a {@link ValueCheck}, or returns undefined when the schema uses anything
 * the compiler does not model (transforms, defaults, refinements, string formats, coercion, lazy or
 * recursive schemas, ...) or when code generation is off (`z.config({ jitless: true })`, or a
 * runtime without `new Function`): that schema is left to zod. Compiled once per schema.
 *
 * Why: zod's parse copies every object and array it accepts and runs a schema per unknown key of a
 * loose object; on a 100 KiB delivery that was most of the receiver's own cost. The generated code
 * reads each property by its literal name (so V8's inline caches apply) and copies nothing. A value
 * that fails the check is parsed by zod, so errors are zod's. Values are assumed to hold no own
 * `__proto__` key (the body parser refuses them before validation).
 *
 * @example
 * const check = compileCheck(catalog['idn:identity-created'].input)
 * const input = check?.(body) ? body : catalog['idn:identity-created'].input.parse(body)
 */
export function compileCheck(schema: ZodType): ValueCheck | undefined {
  let check = compiled.get(schema)
  if (check === undefined) {
    check = config().jitless ? null : (generate(schema as unknown as Schema) ?? null)
    compiled.set(schema, check)
  }
  return check ?? undefined
}

/** Thrown inside the generator when a schema is not modelled; caught by {@link generate}. */
class Unsupported extends Error {}

function generate(root: Schema): ValueCheck | undefined {
  const generator = new Generator()
  try {
    const entry = generator.fn(root)
    const source = `${generator.functions.join('\n')}\nreturn ${entry}`
    const factory = new Function('getPrototypeOf', 'ObjectProto', 'ArrayProto', 'sets', source)
    return factory(Object.getPrototypeOf, Object.prototype, Array.prototype, generator.sets) as ValueCheck
  } catch (error) {
    if (error instanceof Unsupported || error instanceof EvalError) return undefined
    throw error
  }
}

/** What a node compiled to: a boolean expression over `x`, and whether zod's output is its input. */
interface Node {
  expr: (x: string) => string
  /** When zod accepts a value, it returns it unchanged (false for objects that strip unknown keys). */
  keepsInput: boolean
}

class Generator {
  readonly functions: string[] = []
  readonly sets: Set<unknown>[] = []
  /** Object and array schemas already generated: a shared schema becomes one function. */
  readonly #generated = new Map<Schema, Node>()
  readonly #open = new Set<Schema>()

  /** Generates the entry function, checking `schema`, and returns its name. */
  fn(schema: Schema): string {
    const node = this.node(schema)
    const name = `check${this.functions.length}`
    this.functions.push(`function ${name}(x) { return ${node.expr('x')} }`)
    return name
  }

  node(schema: Schema): Node {
    const zod = schema?._zod
    if (!zod?.def || !(zod.traits instanceof Set) || this.#open.has(schema)) throw new Unsupported()
    this.#open.add(schema)
    try {
      const base = this.#type(schema)
      const checks = (zod.def.checks ?? []).map((check) => checkExpr(check._zod.def, zod.def.type))
      if (checks.length === 0) return base
      return {
        expr: (x) => `(${[base.expr(x), ...checks.map((check) => check(x))].join(' && ')})`,
        keepsInput: base.keepsInput,
      }
    } finally {
      this.#open.delete(schema)
    }
  }

  #type(schema: Schema): Node {
    const { def, traits } = schema._zod
    // A schema that is also a check (string and number formats) validates more than its type.
    if (traits.has('$ZodCheck') && def.type !== 'custom') throw new Unsupported()
    if (def.coerce) throw new Unsupported()
    switch (def.type) {
      case 'string':
        return keeps((x) => `typeof ${x} === "string"`)
      case 'number':
        return keeps((x) => `(typeof ${x} === "number" && Number.isFinite(${x}))`)
      case 'boolean':
        return keeps((x) => `typeof ${x} === "boolean"`)
      case 'null':
        return keeps((x) => `${x} === null`)
      case 'unknown':
      case 'any':
        return keeps(() => 'true')
      case 'literal':
      case 'enum':
        return this.#values(schema)
      case 'custom':
        // Only the catalog's own JSON-object check is known to be synchronous and side-effect free.
        if (def.fn !== isJsonObject) throw new Unsupported()
        return keeps((x) => `(typeof ${x} === "object" && ${x} !== null && !Array.isArray(${x}))`)
      case 'optional':
      case 'nullable':
        return this.#wrapper(schema)
      case 'array':
      case 'object':
        return this.#once(schema)
      case 'union':
        return this.#union(schema)
      default:
        throw new Unsupported()
    }
  }

  #values(schema: Schema): Node {
    const values = schema._zod.values
    if (!(values instanceof Set) || values.has(undefined)) throw new Unsupported()
    const strings = [...values].every((value) => typeof value === 'string')
    if (strings && values.size <= 8)
      return keeps((x) => `(${[...values].map((value) => `${x} === ${JSON.stringify(value)}`).join(' || ')})`)
    const index = this.sets.push(values) - 1
    return keeps((x) => `sets[${index}].has(${x})`)
  }

  #wrapper(schema: Schema): Node {
    const { def, traits } = schema._zod
    const innerType = def.innerType as Schema
    if (traits.has('$ZodExactOptional') || innerType?._zod?.optin === 'defaulted') throw new Unsupported()
    const inner = this.node(innerType)
    const empty = def.type === 'nullable' ? 'null' : 'undefined'
    return { expr: (x) => `(${x} === ${empty} || ${inner.expr(x)})`, keepsInput: inner.keepsInput }
  }

  #once(schema: Schema): Node {
    let node = this.#generated.get(schema)
    if (node === undefined) {
      node =
        schema._zod.def.type === 'array'
          ? this.#array(schema._zod.def.element as Schema)
          : this.#object(schema)
      this.#generated.set(schema, node)
    }
    return node
  }

  #array(element: Schema): Node {
    const inner = this.node(element)
    const name = `check${this.functions.length}`
    this.functions.push(`function ${name}(x) {
  if (!Array.isArray(x) || getPrototypeOf(x) !== ArrayProto) return false
  for (let i = 0; i < x.length; i++) { const item = x[i]; if (!(${inner.expr('item')})) return false }
  return true
}`)
    return { expr: (x) => `${name}(${x})`, keepsInput: inner.keepsInput }
  }

  /**
   * Loose objects (unknown keys kept) and strict ones (refused) return their input unchanged; a
   * default object strips unknown keys, so it passes only when there are none.
   */
  #object(schema: Schema): Node {
    const def = schema._zod.def
    const shape = def.shape as Record<string, Schema>
    const keys = Object.keys(shape)
    if (Object.getOwnPropertySymbols(shape).length > 0 || keys.includes('__proto__')) throw new Unsupported()
    const catchall = (def.catchall as Schema | undefined)?._zod.def
    const unknownKeys =
      catchall === undefined
        ? 'strip'
        : catchall.type === 'never'
          ? 'refuse'
          : (catchall.type === 'unknown' || catchall.type === 'any') && !catchall.checks?.length
            ? 'keep'
            : undefined
    if (unknownKeys === undefined) throw new Unsupported()
    let keepsInput = unknownKeys !== 'strip'
    const lines: string[] = []
    for (const key of keys) {
      const property = shape[key]!
      const node = this.node(property)
      keepsInput &&= node.keepsInput
      const optional = property._zod.optin === 'optional' && property._zod.optout === 'optional'
      // zod refuses an absent key unless its schema is optional, even z.unknown().
      const absent = optional ? '' : 'value === undefined || '
      lines.push(`  value = x[${JSON.stringify(key)}]; if (${absent}!(${node.expr('value')})) return false`)
    }
    if (unknownKeys !== 'keep') {
      const index = this.sets.push(new Set(keys)) - 1
      lines.push(`  for (const key in x) if (!sets[${index}].has(key)) return false`)
    }
    const name = `check${this.functions.length}`
    this.functions.push(`function ${name}(x) {
  if (typeof x !== "object" || x === null || getPrototypeOf(x) !== ObjectProto) return false
  let value
${lines.join('\n')}
  return true
}`)
    return { expr: (x) => `${name}(${x})`, keepsInput }
  }

  /**
   * zod returns the first option that accepts. Passing option k alone proves the value unchanged
   * only if no earlier option could have accepted it with another output: so every option but the
   * last must keep its input.
   */
  #union(schema: Schema): Node {
    const def = schema._zod.def
    if (def.inclusive === false || def.discriminator !== undefined) throw new Unsupported()
    const options = (def.options as Schema[]).map((option) => this.node(option))
    if (options.length === 0 || options.slice(0, -1).some((option) => !option.keepsInput))
      throw new Unsupported()
    return {
      expr: (x) => `(${options.map((option) => option.expr(x)).join(' || ')})`,
      keepsInput: options.every((option) => option.keepsInput),
    }
  }
}

function keeps(expr: (x: string) => string): Node {
  return { expr, keepsInput: true }
}

/** The checks zod runs after the type (`.min(1)`, `.int()`, ...); throws if one is not modelled. */
function checkExpr(def: Record<string, unknown>, type: string): (x: string) => string {
  const { check, value: bound } = def
  if (check === 'min_length' && Number.isInteger(def.minimum) && (type === 'array' || type === 'string')) {
    // zod counts a string's length in code points: only "non-empty" is the same in UTF-16 units.
    if (type === 'string' && (def.minimum as number) > 1) throw new Unsupported()
    return (x) => `${x}.length >= ${def.minimum}`
  }
  if (check === 'max_length' && Number.isInteger(def.maximum) && type === 'array')
    return (x) => `${x}.length <= ${def.maximum}`
  if ((check === 'greater_than' || check === 'less_than') && type === 'number' && Number.isFinite(bound)) {
    const operator = (check === 'greater_than' ? '>' : '<') + (def.inclusive ? '=' : '')
    return (x) => `${x} ${operator} ${bound}`
  }
  if (check === 'number_format' && def.format === 'safeint' && type === 'number')
    return (x) => `Number.isSafeInteger(${x})`
  throw new Unsupported()
}
