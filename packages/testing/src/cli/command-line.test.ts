import { describe, expect, it } from 'vitest'
import { type CommandSpec, helpText, parseCommandLine, usageLine } from './command-line.js'
import { COMMANDS, SEND, TEST_INVOKE } from './commands.js'
import { runCli } from './run-in-process.test-helper.js'

// In process and fast; cli.test.ts runs the command as a process.
const run = runCli

describe('the option tables of the isc-triggers commands', () => {
  it('make the usage lines, wrapped before 110 columns', () => {
    expect(COMMANDS.map(({ spec }) => usageLine(spec))).toEqual([
      'Usage: isc-triggers list [--type fire-and-forget|request-response] [--search TEXT] [--json]',
      'Usage: isc-triggers sample <trigger> [--output]',
      `Usage: isc-triggers send <trigger> --url URL [--bearer TOKEN | --basic USER:PASSWORD]
                        [--mode sync|async|dynamic] [--input FILE] [--timeout MS] [--isc-port PORT]`,
      'Usage: isc-triggers test-invoke <trigger> --tenant URL --client-id ID --client-secret SECRET [--input FILE]',
      'Usage: isc-triggers filter check --filter EXPR [--input FILE | --sample TRIGGER] [--json]',
      `Usage: isc-triggers filter validate --filter EXPR [--input FILE | --sample TRIGGER] [--tenant URL]
                                   [--client-id ID] [--client-secret SECRET] [--json]`,
      `Usage: isc-triggers subscriptions plan [--config FILE] [--tenant URL] [--client-id ID]
                                      [--client-secret SECRET] [--json] [--exit-code]`,
      `Usage: isc-triggers subscriptions apply [--config FILE] [--tenant URL] [--client-id ID]
                                       [--client-secret SECRET] [--json]`,
      'Usage: isc-triggers subscriptions list [--tenant URL] [--client-id ID] [--client-secret SECRET] [--json]',
    ])
  })

  it.each(COMMANDS.map(({ spec }) => [spec.name, spec] as const))(
    '%s: its help describes every option the parser accepts, with its default',
    async (name, spec: CommandSpec<CommandSpec['options'], unknown>) => {
      const help = await run(name, '--help')
      expect(help.code).toBe(0)
      expect(help.out).toBe(helpText(spec))
      const args = spec.argument ? ['identity-created'] : []
      const given: Record<string, string | boolean> = {}
      for (const option of spec.options) {
        const value = option.choices?.[0] ?? (option.value ? `${option.flag}-value` : undefined)
        const line = help.out.split('\n').find((l) => l.startsWith(`  --${option.flag} `))
        expect(line, option.flag).toContain(option.description)
        if (value === undefined) {
          args.push(`--${option.flag}`)
          given[option.name] = true
        } else {
          expect(line).toContain(`--${option.flag} ${option.choices?.join('|') ?? option.value}`)
          args.push(`--${option.flag}`, value)
          given[option.name] = value
        }
        if (option.default !== undefined) expect(line).toContain(`(default ${option.default})`)
        if (option.required) expect(line).toContain('(required)')
      }
      expect(parseCommandLine(spec, args).values).toEqual(given)
      expect(() => parseCommandLine(spec, [...args, '--no-such-option'])).toThrow(/Unknown option/)
    },
  )

  it('applies the defaults of the table, and booleans are false when absent', () => {
    const { values, argument } = parseCommandLine(SEND, ['identity-created', '--url', 'http://127.0.0.1:1'])
    expect(argument.id).toBe('idn:identity-created')
    expect(values).toEqual({
      url: 'http://127.0.0.1:1',
      bearer: undefined,
      basic: undefined,
      mode: 'sync',
      input: undefined,
      timeout: '15000',
      iscPort: '0',
    })
  })

  it('names the trigger first, then a missing required option, then a value outside the choices', () => {
    expect(() => parseCommandLine(SEND, ['nope'])).toThrow('unknown trigger "nope"')
    expect(() => parseCommandLine(SEND, ['identity-created', '--mode', 'later'])).toThrow(
      '--url is required: where the receiver is mounted',
    )
    expect(() => parseCommandLine(SEND, ['identity-created', '--url', 'u', '--mode', 'later'])).toThrow(
      '--mode is sync, async or dynamic',
    )
    expect(() => parseCommandLine(TEST_INVOKE, ['identity-created', '--tenant', 't'])).toThrow(
      '--tenant, --client-id and --client-secret are required',
    )
  })

  it('answers a usage error with exit code 2, the message and the help', async () => {
    const wrong = await run('list', '--type', 'sometimes')
    expect(wrong.code).toBe(2)
    expect(wrong.err).toBe(
      `isc-triggers list: --type is fire-and-forget or request-response\n\n${helpText(COMMANDS[0]!.spec)}`,
    )
  })
})
