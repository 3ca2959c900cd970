import { helpText, UsageError } from './command-line.js'
import { COMMANDS, EXIT } from './commands.js'

const MAIN_HELP = `isc-triggers: test SailPoint ISC trigger subscribers without a tenant

Usage: isc-triggers <command> [options]

Commands:
${COMMANDS.map(({ spec }) => `  ${spec.name.padEnd(21)}${spec.summary}`).join('\n')}

Run 'isc-triggers <command> --help' for a command's options.
Exit codes: 0 ok (filter check: a match; filter validate: valid), 1 unexpected reply (filter check:
no match; filter validate: not valid; a tenant's refusal; a change with plan --exit-code), 2 usage error,
3 target unreachable or too slow.`

/** Runs the CLI with `argv` (without `node` and the script); resolves with the exit code. */
export async function main(
  argv: string[],
  out = (line: string) => console.log(line),
  err = out,
): Promise<number> {
  const [first, ...rest] = argv
  // A command of two words (`filter check`) is found by both.
  const twoWords = COMMANDS.some(({ spec }) => spec.name === `${first} ${rest[0]}`)
  const command = twoWords ? `${first} ${rest[0]}` : first
  const args = twoWords ? rest.slice(1) : rest
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out(MAIN_HELP)
    return command ? EXIT.ok : EXIT.usage
  }
  const found = COMMANDS.find(({ spec }) => spec.name === command)
  if (!found) {
    err(`unknown command "${command}"\n\n${MAIN_HELP}`)
    return EXIT.usage
  }
  if (args.includes('--help') || args.includes('-h')) {
    out(helpText(found.spec))
    return EXIT.ok
  }
  try {
    return await found.run(args, out)
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    if (!usage) throw error
    err(`isc-triggers ${command}: ${(error as Error).message}\n\n${helpText(found.spec)}`)
    return EXIT.usage
  }
}
