import type { core, ZodType } from 'zod'
import { TriggerError, type TriggerErrorCode, type TriggerIssue } from '../errors.js'
import { firstIssues } from './first-issues.js'

const MAX_ISSUES = 20

function toIssue(issue: core.$ZodIssue): TriggerIssue {
  return { path: issue.path.map(String).join('.'), code: issue.code, message: issue.message }
}

/** Thrown by {@link FAST_PATH_ONLY} when zod is about to run its runtime parser. */
const RUNTIME_PARSE = Symbol('runtime parse')

/**
 * Parse options whose first read throws {@link RUNTIME_PARSE}. A compiled schema (`z.compile()`)
 * answers a value its generated code accepts without reading them, and reads them (copying them
 * into the parse context) only when it hands the value to zod's runtime parser, which builds an
 * issue for every fault of the value. Passing these stops a refused value right there. Should a
 * zod version read them sooner, every value takes the refused path: slower, never wrong.
 */
const FAST_PATH_ONLY: core.ParseContext<core.$ZodIssue> = {
  get reportInput(): boolean {
    throw RUNTIME_PARSE
  },
}

/**
 * Parses `value` with `schema`; on failure throws a {@link TriggerError} listing where the
 * value is wrong (paths and kinds, at most 20 issues; zod's default messages name expectations,
 * not values).
 *
 * A value the schema accepts gets zod's output, as `schema.safeParse(value).data`. A refused value
 * costs what its first 20 issues cost, not what all of them would: it is searched part by part
 * (`firstIssues`), and only if that finds nothing does zod parse it whole. So a 1 MiB body of
 * 349k invalid items is refused in milliseconds.
 *
 * @example
 * const input = validate(catalog['idn:identity-created'].input, body, 'INVALID_PAYLOAD', 'idn:identity-created input')
 */
export function validate<T>(schema: ZodType<T>, value: unknown, code: TriggerErrorCode, what: string): T {
  try {
    const fast = schema.safeParse(value, FAST_PATH_ONLY)
    if (fast.success) return fast.data
  } catch (error) {
    if (error !== RUNTIME_PARSE) throw error
  }
  let issues = firstIssues(schema, value, MAX_ISSUES)
  if (issues.length === 0) {
    const result = schema.safeParse(value)
    if (result.success) return result.data
    issues = result.error.issues.slice(0, MAX_ISSUES).map(toIssue)
  }
  throw new TriggerError(code, `The ${what} does not match its schema`, { issues })
}
