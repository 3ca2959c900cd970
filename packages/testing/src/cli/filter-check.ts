// `isc-triggers filter check`: a trigger filter evaluated locally, as ISC decides to deliver.
import type { TriggerId } from '@isc-triggers/core'
import { matchesFilter } from '../filters/matches-filter.js'
import { sampleInput } from '../sample-builders.js'
import { type CommandSpec, type OptionSpec, parseCommandLine, UsageError } from './command-line.js'
import { EXIT, findTrigger, type Out, readInput } from './common.js'

/** `--filter EXPR` and `--input FILE | --sample TRIGGER`, shared by `filter check` and `filter validate`. */
export const FILTER_OPTIONS = [
  { name: 'filter', flag: 'filter', value: 'EXPR', required: true, description: 'the JSONPath filter' },
  {
    name: 'input',
    flag: 'input',
    value: 'FILE',
    alternativeGroup: 'input',
    description: 'a JSON file holding the trigger input',
  },
  {
    name: 'sample',
    flag: 'sample',
    value: 'TRIGGER',
    alternativeGroup: 'input',
    description: "the trigger whose sample input to use (as 'isc-triggers sample' prints it)",
  },
] as const satisfies readonly OptionSpec[]

/** The trigger input of `--input FILE` or `--sample TRIGGER` (exactly one), or a usage error. */
export function filterInput(values: { input?: string | undefined; sample?: string | undefined }) {
  if ((values.input === undefined) === (values.sample === undefined))
    throw new UsageError('give one input: --input FILE or --sample TRIGGER')
  return values.sample !== undefined
    ? sampleInput(findTrigger(values.sample).id as TriggerId)
    : readInput(values.input)
}

export const FILTER_CHECK = {
  name: 'filter check',
  summary: 'evaluate a trigger filter locally',
  about: `Evaluates a subscription filter (Jayway JSONPath, e.g. "$.changes[?(@.attribute == 'department')]")
against a trigger input (FILE, or the sample of TRIGGER) as ISC decides to deliver an event: it matches
when it selects at least one node. Prints match or no match and the selected nodes; exits 0 on a match,
1 on no match. A local check (jsonpathly, made to follow Jayway): ISC's validate-filter is the authority.`,
  options: [
    ...FILTER_OPTIONS,
    { name: 'json', flag: 'json', description: 'print { "matched": …, "nodes": […] } instead' },
  ],
} as const satisfies CommandSpec<readonly OptionSpec[]>

export function filterCheck(args: string[], out: Out): number {
  const { values } = parseCommandLine(FILTER_CHECK, args)
  const input = filterInput(values)
  let result: ReturnType<typeof matchesFilter>
  try {
    result = matchesFilter(values.filter, input)
  } catch (error) {
    if (error instanceof SyntaxError) throw new UsageError(`--${error.message}`)
    throw error
  }
  if (values.json) out(JSON.stringify(result))
  else {
    const count = `${result.nodes.length} node${result.nodes.length === 1 ? '' : 's'}`
    out(result.matched ? `match: the filter selects ${count}` : 'no match: ISC would not deliver this event')
    if (result.matched) out(JSON.stringify(result.nodes, null, 2))
  }
  return result.matched ? EXIT.ok : EXIT.unexpected
}
