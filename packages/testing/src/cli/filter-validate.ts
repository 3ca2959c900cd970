// `isc-triggers filter validate`: a trigger filter checked by the tenant's validate-filter.
import { type CommandSpec, type OptionSpec, parseCommandLine } from './command-line.js'
import { EXIT, type Out } from './common.js'
import { FILTER_OPTIONS, filterInput } from './filter-check.js'
import { client, TENANT_OPTIONS, withTenant } from './subscriptions-command.js'

export const FILTER_VALIDATE = {
  name: 'filter validate',
  summary: "check a trigger filter with a tenant's validate-filter",
  about: `Asks the tenant (POST /trigger-subscriptions/v1/validate-filter, with a client-credentials token) whether
the filter is valid for a trigger input (FILE, or the sample of TRIGGER): ISC's own Jayway answer, where
'filter check' is a local one. Prints isValid, isValidJSONPath (the filter parses) and isPathExist (it
selects something, so ISC would deliver the event). Exits 0 when valid, 1 when not valid or the tenant
refuses (wrong client credentials), 2 on a usage error, 3 when the tenant cannot be reached.`,
  options: [...FILTER_OPTIONS, ...TENANT_OPTIONS],
} as const satisfies CommandSpec<readonly OptionSpec[]>

export async function filterValidate(args: string[], out: Out): Promise<number> {
  const { values } = parseCommandLine(FILTER_VALIDATE, args)
  const input = filterInput(values)
  const tenant = client(values)
  return withTenant(out, async () => {
    const answer = await tenant.validateFilter(values.filter, input)
    if (values.json) out(JSON.stringify(answer))
    else {
      out(
        answer.isValid
          ? `valid: ${tenant.tenant} accepts the filter for this input`
          : `not valid: ${tenant.tenant} does not accept the filter for this input`,
      )
      out(
        `isValidJSONPath: ${answer.isValidJSONPath}${answer.isValidJSONPath ? '' : ' (ISC cannot parse the filter)'}`,
      )
      if (answer.isValidJSONPath)
        out(
          `isPathExist: ${answer.isPathExist}${answer.isPathExist ? ' (it selects something: ISC would deliver this event)' : ' (it selects nothing: ISC would drop this event)'}`,
        )
    }
    return answer.isValid ? EXIT.ok : EXIT.unexpected
  })
}
