// One declarative table per command, from which both its `--help` text and its parser
// (node:util parseArgs) are made, so the two cannot drift apart.
import { parseArgs } from 'node:util'

/** A wrong command line: exit code 2, the message and the command's help on stderr. */
export class UsageError extends Error {}

/** One option of a command. */
export interface OptionSpec {
  /** Key of its value in the parsed values (`iscPort`). */
  readonly name: string
  /** As typed, without the dashes (`isc-port`). */
  readonly flag: string
  /** Placeholder of its value in the help (`PORT`); without it (and `choices`), a boolean switch. */
  readonly value?: string
  /** The accepted values; the help shows them as the placeholder, `sync|async|dynamic`. */
  readonly choices?: readonly string[]
  /** One line for the help's option list (no final full stop). */
  readonly description: string
  /** Used when the option is not given, and shown in the help. */
  readonly default?: string
  readonly required?: boolean
  /** Options of one group are alternatives in the usage line: `[--bearer TOKEN | --basic USER:PASSWORD]`. */
  readonly alternativeGroup?: string
}

/** A command: its line in the main help, its own help, its options and its one positional argument. */
export interface CommandSpec<
  Options extends readonly OptionSpec[] = readonly OptionSpec[],
  Argument = never,
> {
  readonly name: string
  /** Its line under `Commands:` in `isc-triggers --help`. */
  readonly summary: string
  /** The paragraph under its usage line. */
  readonly about: string
  readonly options: Options
  /** Its positional argument (`<trigger>`), checked before the options; none when absent. */
  readonly argument?: { readonly placeholder: string; parse(value: string | undefined): Argument }
}

type ValueOf<O extends OptionSpec> = O extends { choices: readonly (infer Choice)[] }
  ? O extends { required: true } | { default: string }
    ? Choice
    : Choice | undefined
  : O extends { value: string }
    ? O extends { required: true } | { default: string }
      ? string
      : string | undefined
    : boolean

/** The parsed values of a command's options, by `name`. */
export type OptionValues<Options extends readonly OptionSpec[]> = {
  [O in Options[number] as O['name']]: ValueOf<O>
}

/** The help's width, as the repository's line width: a usage line wraps before it. */
const WIDTH = 110

const dashed = (option: OptionSpec) => `--${option.flag}`
const takesValue = (option: OptionSpec) => option.value !== undefined || option.choices !== undefined
const placeholder = (option: OptionSpec) => option.choices?.join('|') ?? option.value

function withValue(option: OptionSpec): string {
  return takesValue(option) ? `${dashed(option)} ${placeholder(option)}` : dashed(option)
}

function joinWords(words: readonly string[], last: 'and' | 'or'): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} ${last} ${words.at(-1)}`
}

/** `Usage: isc-triggers send <trigger> --url URL [--bearer TOKEN | --basic USER:PASSWORD] ...`, wrapped. */
export function usageLine(command: CommandSpec<readonly OptionSpec[], unknown>): string {
  const tokens: string[] = command.argument ? [command.argument.placeholder] : []
  const { options } = command
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!
    const group = [option]
    while (option.alternativeGroup && options[i + 1]?.alternativeGroup === option.alternativeGroup)
      group.push(options[++i]!)
    const text = group.map(withValue).join(' | ')
    tokens.push(option.required && group.length === 1 ? text : `[${text}]`)
  }
  const prefix = `Usage: isc-triggers ${command.name}`
  const lines = [prefix]
  for (const token of tokens) {
    const line = lines.at(-1)!
    if (line.length + 1 + token.length > WIDTH && line.trim() !== '')
      lines.push(`${' '.repeat(prefix.length)}${token}`)
    else lines[lines.length - 1] = `${line} ${token}`
  }
  return lines.join('\n')
}

/** The command's `--help`: usage line, its paragraph, then each option with its default. */
export function helpText(command: CommandSpec<readonly OptionSpec[], unknown>): string {
  const width = Math.max(...command.options.map((option) => withValue(option).length))
  const options = command.options.map((option) => {
    const note = option.required
      ? ' (required)'
      : option.default !== undefined
        ? ` (default ${option.default})`
        : ''
    return `  ${withValue(option).padEnd(width)}  ${option.description}${note}`
  })
  return `${usageLine(command)}\n\n${command.about}\n\nOptions:\n${options.join('\n')}`
}

/**
 * Parses `args` with the command's table: unknown options and missing values throw (parseArgs'
 * ERR_PARSE_ARGS_* errors), then the argument is checked, then required options and choices
 * ({@link UsageError}).
 */
export function parseCommandLine<const Options extends readonly OptionSpec[], Argument>(
  command: CommandSpec<Options, Argument>,
  args: string[],
): { values: OptionValues<Options>; argument: Argument } {
  const { values: byFlag, positionals } = parseArgs({
    args,
    allowPositionals: command.argument !== undefined,
    options: Object.fromEntries(
      command.options.map((option) => [
        option.flag,
        takesValue(option)
          ? { type: 'string' as const, ...(option.default !== undefined ? { default: option.default } : {}) }
          : { type: 'boolean' as const },
      ]),
    ),
  })
  const argument = command.argument ? command.argument.parse(positionals[0]) : (undefined as Argument)
  const required = command.options.filter((option) => option.required)
  if (required.some((option) => !byFlag[option.flag])) {
    const [only] = required
    throw new UsageError(
      required.length === 1 && only
        ? `${dashed(only)} is required: ${only.description}`
        : `${joinWords(required.map(dashed), 'and')} are required`,
    )
  }
  const values: Record<string, string | boolean | undefined> = {}
  for (const option of command.options) {
    const value = byFlag[option.flag]
    if (option.choices && value !== undefined && !option.choices.includes(value as string))
      throw new UsageError(`${dashed(option)} is ${joinWords(option.choices, 'or')}`)
    values[option.name] = takesValue(option) ? value : value === true
  }
  return { values: values as OptionValues<Options>, argument }
}
