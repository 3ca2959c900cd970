import { type core, safeParse } from 'zod'
import type { TriggerIssue } from '../errors.js'

// Why this exists: zod's parse of an invalid value builds an issue for every fault before anything
// can read the first one. A 1 MiB body of 349k empty items (`requestedItems: [{}, {}, ...]`) is
// about 1.4 million issues: seconds of blocked event loop (or a RangeError from a spread of that
// many issues), to send 20. So a value the schema refuses is not handed to zod whole: its issues
// are looked for here, part by part, stopping at the limit, and zod itself judges each part.
//
// The rule: every issue this returns is one zod's parse of the whole value reports too, at the
// same path (a part is only ever judged where zod's parse judges it, on a path that must succeed:
// object fields, array items, record values, the value of an optional, nullable or default, the
// input of a pipe). An empty result says nothing: the caller then lets zod parse the whole value,
// which, with no faulty part found, has few issues to build.
//
// One exception to "zod's own issue": a union whose every option refuses the value, one of them with
// at least the limit of issues, is reported as zod usually reports it, in English (`invalid_union`,
// "Invalid input"), without asking zod, which would build every option's issues (a union that
// holds an array of 349k bad items costs as much as the array itself). zod reports the issues of
// the one option instead when only that option's issues let its parse go on (say an array whose
// only fault is its length); that rare case is reported as `invalid_union` here. A union whose
// options each have fewer issues than the limit (none of them a union reported this way) is
// judged by zod, its issues exactly zod's.

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

type Path = readonly PropertyKey[]

function toIssue(path: Path, issue: core.$ZodIssue): TriggerIssue {
  return { path: [...path, ...issue.path].map(String).join('.'), code: issue.code, message: issue.message }
}

class Finder {
  readonly issues: TriggerIssue[] = []
  /** Whether a union was reported without asking zod: zod's own issues here may be countless. */
  summarized = false
  constructor(readonly max: number) {}

  get full(): boolean {
    return this.issues.length >= this.max
  }

  /** Judges `value` with zod as a whole (a part this finder does not look into); true if refused. */
  whole(schema: core.$ZodType, value: unknown, path: Path): boolean {
    const result = safeParse(schema, value)
    if (result.success) return false
    for (const issue of result.error.issues) {
      if (this.full) break
      this.issues.push(toIssue(path, issue))
    }
    return true
  }

  /** Looks for `schema`'s issues in `value`, the parts first; true if it found some. */
  find(schema: core.$ZodType, value: unknown, path: Path): boolean {
    if (this.full) return true
    const def = (schema as core.$ZodTypes)._zod.def
    switch (def.type) {
      case 'object': {
        if (!isPlainObject(value)) return this.whole(schema, value, path)
        let found = false
        const shape = def.shape
        for (const key in shape) {
          const field = shape[key] as core.$ZodType
          // zod may forgive a failing optional field that is absent: left to zod's parse
          if (!Object.hasOwn(value, key) && field._zod.optin === 'optional') continue
          found = this.find(field, value[key], [...path, key]) || found
          if (this.full) return true
        }
        const catchall = def.catchall?._zod.def.type
        if (catchall !== undefined && catchall !== 'unknown' && catchall !== 'any' && catchall !== 'never') {
          for (const key of Object.keys(value)) {
            if (Object.hasOwn(shape, key)) continue
            found = this.find(def.catchall as core.$ZodType, value[key], [...path, key]) || found
            if (this.full) return true
          }
        }
        // the object's own faults (unknown keys of a strict object, its checks) once its fields pass
        if (found || (catchall !== 'never' && !def.checks?.length)) return found
        return this.whole(schema, value, path)
      }
      case 'array': {
        if (!Array.isArray(value)) return this.whole(schema, value, path)
        let found = false
        for (let i = 0; i < value.length; i++) {
          found = this.find(def.element, value[i], [...path, i]) || found
          if (this.full) return true
        }
        return found || (def.checks?.length ? this.whole(schema, value, path) : false)
      }
      case 'record': {
        const keyType = def.keyType._zod.def
        if (!isPlainObject(value) || keyType.type !== 'string' || keyType.checks?.length)
          return this.whole(schema, value, path)
        let found = false
        for (const key of Object.keys(value)) {
          found = this.find(def.valueType, value[key], [...path, key]) || found
          if (this.full) return true
        }
        return found || (def.checks?.length ? this.whole(schema, value, path) : false)
      }
      case 'optional':
      case 'default':
      case 'prefault':
        return value === undefined ? this.whole(schema, value, path) : this.find(def.innerType, value, path)
      case 'nullable':
        return value === null ? this.whole(schema, value, path) : this.find(def.innerType, value, path)
      case 'pipe':
        // zod parses the pipe's input first, and stops there if it fails
        return this.find(def.in, value, path) || this.whole(schema, value, path)
      case 'union': {
        let few = true
        for (const option of def.options) {
          const probe = new Finder(this.max)
          // an option with no issue found may accept the value: left to zod's parse
          if (!probe.find(option, value, path)) return false
          if (probe.full || probe.summarized) few = false
        }
        // Every option refuses the value. With few issues in each, zod says how, at a small cost.
        if (few) return this.whole(schema, value, path)
        this.summarized = true
        this.issues.push({
          path: path.map(String).join('.'),
          code: 'invalid_union',
          message: 'Invalid input',
        })
        return true
      }
      default:
        return this.whole(schema, value, path)
    }
  }
}

/**
 * Up to `max` of the issues zod's parse of `value` with `schema` reports, found without building
 * the others: the cost follows the issues found, not all the issues the value has (see the rule
 * above). An empty list does not mean the value is valid: parse it with zod, whose issues are then
 * few.
 *
 * @example
 * const issues = firstIssues(trigger.input, body, 20)
 * if (issues.length === 0) issues.push(...(trigger.input.safeParse(body).error?.issues ?? []).map(...))
 */
export function firstIssues(schema: core.$ZodType, value: unknown, max: number): TriggerIssue[] {
  const finder = new Finder(max)
  finder.find(schema, value, [])
  return finder.issues
}
