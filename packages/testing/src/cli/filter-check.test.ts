import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sampleInput } from '../sample-builders.js'
import { helpText } from './command-line.js'
import { FILTER_CHECK } from './filter-check.js'
import { runCli } from './run-in-process.test-helper.js'

// In process; cli.test.ts runs `filter check` as a process too.
const run = runCli

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'isc-filter-')), 'input.json')
  writeFileSync(path, text)
  return path
}

const DEPARTMENT = "$.changes[?(@.attribute == 'department')]"

describe('isc-triggers filter check', () => {
  it('exits 0 on a match and prints the selected nodes', async () => {
    const matched = await run(
      'filter',
      'check',
      '--filter',
      DEPARTMENT,
      '--sample',
      'identity-attributes-changed',
    )
    expect(matched.code).toBe(0)
    const [first, ...nodes] = matched.out.split('\n')
    expect(first).toBe('match: the filter selects 1 node')
    expect(JSON.parse(nodes.join('\n'))).toEqual([sampleInput('idn:identity-attributes-changed').changes[0]])
  })

  it('exits 1 on no match', async () => {
    const none = await run(
      'filter',
      'check',
      '--filter',
      "$[?($.identity.name == 'john.doe')]",
      '--sample',
      'idn:identity-created',
    )
    expect(none).toEqual({ code: 1, out: 'no match: ISC would not deliver this event', err: '' })
  })

  it('reads an --input file, and tests a root-level filter against the root object, as Jayway does', async () => {
    const input = file(JSON.stringify({ identity: { name: 'john.doe' }, warnings: ['Account skipped'] }))
    const json = await run(
      'filter',
      'check',
      '--filter',
      '$[?(@.warnings size 1)]',
      '--input',
      input,
      '--json',
    )
    expect(json.code).toBe(0)
    expect(JSON.parse(json.out)).toEqual({
      matched: true,
      nodes: [{ identity: { name: 'john.doe' }, warnings: ['Account skipped'] }],
    })
    const no = await run('filter', 'check', '--filter', '$[?(@.warnings size 2)]', '--input', input, '--json')
    expect(no.code).toBe(1)
    expect(JSON.parse(no.out)).toEqual({ matched: false, nodes: [] })
  })

  it.each([
    [['--sample', 'identity-created'], '--filter is required'],
    [['--filter', '$'], 'give one input: --input FILE or --sample TRIGGER'],
    [['--filter', '$', '--sample', 'identity-created', '--input', 'x.json'], 'give one input'],
    [['--filter', '$[?(@.a ==', '--sample', 'identity-created'], '--filter is not JSONPath'],
    [
      ['--filter', '$[?(@.name contains "a")]', '--sample', 'identity-created'],
      'not supported locally: the contains operator',
    ],
    [['--filter', '$', '--sample', 'idn:nope'], 'unknown trigger "idn:nope"'],
    [['--filter', '$', '--sample', 'constructor'], 'unknown trigger "constructor"'],
    [['--filter', '$', '--sample', '__proto__'], 'unknown trigger "__proto__"'],
    [['--filter', '$', '--sample', 'toString'], 'unknown trigger "toString"'],
    [['--filter', '$', '--input', '/nonexistent/input.json'], 'cannot read --input /nonexistent/input.json'],
    [['--filter', '$', '--input', file('{ not json')], 'is not JSON'],
    [['--filter', '$', '--sample', 'identity-created', '--nope'], "Unknown option '--nope'"],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const wrong = await run('filter', 'check', ...args)
    expect(wrong.code).toBe(2)
    expect(wrong.out).toBe('')
    expect(wrong.err).toContain(message)
    expect(wrong.err).toContain(helpText(FILTER_CHECK))
  })
})
