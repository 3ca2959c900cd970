// Renders docs/triggers.md from the catalog: `pnpm docs:triggers` writes it, and a test fails when
// the committed file differs from what the catalog produces, so the page is never edited by hand.
import { writeFileSync } from 'node:fs'
import { z } from 'zod'
import { type AnyTrigger, catalog } from '../src/index.js'

type JsonSchema = {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  items?: JsonSchema
  properties?: Record<string, JsonSchema>
  required?: string[]
}

function describeType(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const)
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(' \\| ')
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives) return [...new Set(alternatives.map(describeType))].join(' \\| ')
  if (schema.type === 'array') return `${schema.items ? describeType(schema.items) : 'unknown'}[]`
  if (Array.isArray(schema.type)) return schema.type.join(' \\| ')
  return schema.type ?? 'any'
}

function fields(schema: JsonSchema): string[] {
  const required = new Set(schema.required ?? [])
  return Object.entries(schema.properties ?? {}).map(
    ([name, field]) => `| \`${name}\` | ${describeType(field)} | ${required.has(name) ? 'yes' : ''} |`,
  )
}

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as JsonSchema
}

/** The whole page, as markdown. */
export function renderTriggerDocs(): string {
  const triggers = Object.values(catalog as Record<string, AnyTrigger>).sort((a, b) =>
    a.id.localeCompare(b.id),
  )
  const lines = [
    '# Trigger reference',
    '',
    '<!-- Generated from the catalog in packages/core/src/schemas/catalog by `pnpm docs:triggers` (packages/core/scripts/trigger-docs.ts). Do not edit by hand. -->',
    '',
    `Every trigger \`@isc-triggers/core\` knows (${triggers.length}). "id confirmed: no" means SailPoint has not`,
    'published the id: it is seen only in community code or guessed from the docs page; check it with',
    '`GET /beta/triggers` on your tenant. Payloads may carry more fields than listed: they are kept.',
    '',
    '| id | name | type | id confirmed | deprecated |',
    '|---|---|---|---|---|',
    ...triggers.map(
      (t) =>
        `| [\`${t.id}\`](#${t.id.replace(/[^a-z0-9-]/g, '')}) | ${t.name} | ${t.type} | ${t.confirmed ? 'yes' : 'no'} | ${t.deprecated ? 'yes' : ''} |`,
    ),
  ]
  for (const trigger of triggers) {
    lines.push('', `## ${trigger.id}`, '', `${trigger.name}: ${trigger.type}.`)
    if (!trigger.confirmed) lines.push('The id is not published by SailPoint.')
    if (trigger.deprecated) lines.push('Deprecated by SailPoint.')
    const input = jsonSchemaOf(trigger.input)
    const inputShapes = input.anyOf ?? [input]
    if (inputShapes.length > 1)
      lines.push(
        '',
        `The input comes in ${inputShapes.length} shapes (SailPoint's spec and docs differ); each is accepted.`,
      )
    for (const shape of inputShapes)
      lines.push('', '| input field | type | required |', '|---|---|---|', ...fields(shape))
    if (trigger.type === 'request-response') {
      const output = jsonSchemaOf(trigger.output)
      const shapes = output.anyOf ?? [output]
      for (const shape of shapes) {
        if (shape.type === 'null') lines.push('', 'Output may also be `null`.')
        else if (!shape.properties || Object.keys(shape.properties).length === 0)
          lines.push('', 'Output may also be `{}`.')
        else lines.push('', '| output field | type | required |', '|---|---|---|', ...fields(shape))
      }
    }
  }
  return `${lines.join('\n')}\n`
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  writeFileSync(new URL('../../../docs/triggers.md', import.meta.url), renderTriggerDocs())
  console.log('docs/triggers.md written')
}
