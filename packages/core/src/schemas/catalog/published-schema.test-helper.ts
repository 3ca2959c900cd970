import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Ajv, { type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'

/**
 * SailPoint's published trigger schemas, read from ../shared/sailpoint/triggers beside the
 * repository (CI has it; a developer's clone may not). Test-only: not part of the package.
 */
export const PUBLISHED = resolve(import.meta.dirname, '../../../../../../shared/sailpoint/triggers')
export const publishedAvailable = existsSync(PUBLISHED)

export type JsonSchema = { [key: string]: unknown }

/** The trigger folders (`idn_<name>`) and the id each stands for. */
export function publishedTriggers(): { folder: string; id: string }[] {
  if (!publishedAvailable) return []
  return readdirSync(PUBLISHED)
    .filter((name) => name.startsWith('idn_'))
    .map((folder) => ({ folder, id: `idn:${folder.slice(4)}` }))
}

/** One published file of a trigger, parsed; undefined when the trigger has no such file. */
export function readPublished(folder: string, file: string): unknown {
  const path = join(PUBLISHED, folder, file)
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined
}

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Turns one of SailPoint's OpenAPI 3.0 Schema Objects into plain JSON Schema (draft-07), the one
 * reading the project applies to them:
 * - `nullable: true` adds `null` to the types (or, beside `allOf`/`$ref`, a `null` alternative);
 * - `required` on an array schema constrains nothing in JSON Schema; with `arrayRequired: 'items'`
 *   (the default) it is read as the items' required fields, as SailPoint's docs and ETS schema show
 *   it means (`requestedFor`), with `'ignore'` it is dropped (the literal reading, which allows
 *   more payloads);
 * - the invalid `type: date-time` (form-submitted) is read as a date-time string;
 * - OpenAPI-only annotations (`example`) are dropped.
 */
export function toJsonSchema(schema: unknown, arrayRequired: 'items' | 'ignore' = 'items'): unknown {
  if (Array.isArray(schema)) return schema.map((item) => toJsonSchema(item, arrayRequired))
  if (!isObject(schema)) return schema
  const out: JsonSchema = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'example' || key === 'nullable') continue
    if (key === 'properties' || key === 'definitions')
      out[key] = Object.fromEntries(
        Object.entries(value as JsonSchema).map(([k, v]) => [k, toJsonSchema(v, arrayRequired)]),
      )
    else if (key === 'enum' || key === 'required' || key === 'default') out[key] = value
    else out[key] = toJsonSchema(value, arrayRequired)
  }
  if (out.type === 'date-time') {
    out.type = 'string'
    out.format = 'date-time'
  }
  if (out.type === 'array' && Array.isArray(out.required) && arrayRequired === 'ignore') delete out.required
  if (out.type === 'array' && Array.isArray(out.required)) {
    const items = isObject(out.items) ? out.items : {}
    out.items = {
      ...items,
      required: [...new Set([...((items.required as string[]) ?? []), ...out.required])],
    }
    delete out.required
  }
  if (schema.nullable === true) return nullable(out)
  return out
}

function nullable(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === 'string') {
    const result: JsonSchema = { ...schema, type: [schema.type, 'null'] }
    if (Array.isArray(schema.enum)) result.enum = [...schema.enum, null]
    return result
  }
  if (Array.isArray(schema.enum)) return { ...schema, enum: [...schema.enum, null] }
  return { anyOf: [schema, { type: 'null' }] }
}

const ajv = new Ajv({ strict: false, allErrors: true })
addFormats(ajv)
// OpenAPI's `decimal` (outlier-detected's score) is a number annotation with nothing to check.
ajv.addFormat('decimal', { type: 'number', validate: () => true })

/** A well-kept JSON Schema validator (Ajv, with formats) compiled for one converted schema. */
export function compileValidator(schema: unknown): ValidateFunction {
  return ajv.compile(schema as JsonSchema)
}
