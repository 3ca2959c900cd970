import type { core, ZodType } from 'zod'
import { TriggerError, type TriggerErrorCode, type TriggerIssue } from '../errors.js'

const MAX_ISSUES = 20

function toIssue(issue: core.$ZodIssue): TriggerIssue {
  return { path: issue.path.map(String).join('.'), code: issue.code, message: issue.message }
}

/**
 * Parses `value` with `schema`; on failure throws a {@link TriggerError} listing where the
 * value is wrong (paths and kinds; zod's default messages name expectations, not values).
 *
 * @example
 * const input = validate(catalog['idn:identity-created'].input, body, 'INVALID_PAYLOAD', 'idn:identity-created input')
 */
export function validate<T>(schema: ZodType<T>, value: unknown, code: TriggerErrorCode, what: string): T {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  throw new TriggerError(code, `The ${what} does not match its schema`, {
    issues: result.error.issues.slice(0, MAX_ISSUES).map(toIssue),
  })
}
