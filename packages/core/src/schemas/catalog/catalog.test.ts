import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { AnyTrigger } from '../define-trigger.js'
import { catalog } from './index.js'

// SailPoint's published schemas and examples live beside the repository in CI
// (../shared/sailpoint/triggers, one folder idn_<name> per trigger). Every published example must
// be accepted by the project's own schemas. Outside CI the folder may be absent: then this suite
// is skipped, and says so.
const TRIGGERS = resolve(import.meta.dirname, '../../../../../../shared/sailpoint/triggers')
const available = existsSync(TRIGGERS)
if (!available && process.env.CI) throw new Error(`CI must have the published trigger data at ${TRIGGERS}`)

const folders = available ? readdirSync(TRIGGERS).filter((name) => name.startsWith('idn_')) : []
const idOf = (folder: string) => `idn:${folder.slice(4)}`
const entry = (id: string) => (catalog as Record<string, AnyTrigger>)[id]
const read = (folder: string, file: string) => JSON.parse(readFileSync(join(TRIGGERS, folder, file), 'utf8'))
const issuesOf = (result: {
  success: boolean
  error?: { issues: { path: PropertyKey[]; message: string }[] }
}) => result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)

describe.skipIf(!available)(`published examples (${TRIGGERS})`, () => {
  it('the catalog has exactly the published triggers', () => {
    expect(Object.keys(catalog).sort()).toEqual(folders.map(idOf).sort())
  })

  const examples = folders.flatMap((folder) =>
    readdirSync(join(TRIGGERS, folder))
      .filter((file) => /^example-(input|output(-\d+)?)\.json$/.test(file))
      .map((file) => ({ folder, file, id: idOf(folder) })),
  )

  it.each(examples)('$id accepts $file', ({ folder, file, id }) => {
    const trigger = entry(id)
    expect(trigger, `${id} is missing from the catalog`).toBeDefined()
    const schema = file.startsWith('example-input')
      ? trigger!.input
      : trigger!.type === 'request-response'
        ? trigger!.output
        : undefined
    expect(schema, `${id} has no output schema for ${file}`).toBeDefined()
    const result = schema!.safeParse(read(folder, file))
    expect(result.success, JSON.stringify(issuesOf(result))).toBe(true)
  })

  it('keeps unknown fields of a published example', () => {
    const example = read('idn_identity-created', 'example-input.json')
    const parsed = catalog['idn:identity-created'].input.parse({ ...example, addedLater: { x: 1 } })
    expect(parsed).toMatchObject({ addedLater: { x: 1 } })
  })

  it('flags the ids INDEX.md marks UNCONFIRMED, and only those', () => {
    const index = readFileSync(join(TRIGGERS, 'INDEX.md'), 'utf8')
    const unconfirmed = [
      ...index.matchAll(/^\| `(idn:[\w-]+)` \([^)]*\) \|[^|]*\|[^|]*\| \*\*UNCONFIRMED\*\*/gm),
    ].map((match) => match[1])
    expect(unconfirmed.length).toBeGreaterThan(10)
    const flagged = Object.values(catalog as Record<string, AnyTrigger>)
      .filter((trigger) => !trigger.confirmed)
      .map((trigger) => trigger.id)
    expect(flagged.sort()).toEqual(unconfirmed.sort())
  })

  it('marks deprecated triggers', () => {
    const deprecated = Object.values(catalog as Record<string, AnyTrigger>)
      .filter((trigger) => trigger.deprecated)
      .map((trigger) => trigger.id)
    expect(deprecated.sort()).toEqual([
      'idn:account-uncorrelated',
      'idn:source-account-created',
      'idn:source-account-deleted',
      'idn:source-account-updated',
    ])
  })
})

describe('documented quirks', () => {
  const dynamic = catalog['idn:access-request-dynamic-approver'].output
  it.each([
    ['an approver', { id: 'a1', name: 'Audit Committee', type: 'GOVERNANCE_GROUP' }, true],
    ['no approver as {}', {}, true],
    ['no approver as empty strings', { id: '', name: '', type: '' }, true],
    ['no approver as null', null, true],
    ['an unknown approver type', { id: 'a1', name: 'x', type: 'ROBOT' }, false],
    ['an approver without id', { name: 'x', type: 'IDENTITY' }, false],
    ['an empty object with a stray key', { type: 'IDENTITY' }, false],
  ])('dynamic approver output: %s', (_name, output, ok) => {
    expect(dynamic.safeParse(output).success).toBe(ok)
  })
})
