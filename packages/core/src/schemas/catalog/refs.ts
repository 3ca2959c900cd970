import { z } from 'zod'

// Building blocks shared by several triggers, written for isc-triggers from SailPoint's published
// trigger schemas. The catalog is never stricter than SailPoint: a field SailPoint's schema leaves
// optional is optional here, and every object keeps unknown fields, since ISC adds fields without
// notice. Timestamps are ISO-8601 strings; they are kept as strings (not parsed) so a format
// variation never loses an event.

/**
 * A JSON object with these fields that keeps any other field it carries (at run time it is
 * `z.looseObject`). Its type has no index signature, so a value typed with SailPoint's SDK models
 * (interfaces, e.g. `IdentityCreatedV2024`) can be passed where a `TriggerInput` is expected; read
 * a field the catalog does not list with `(input as Record<string, unknown>).newField`.
 *
 * @example
 * const scope = openObject({ name: z.string(), nativeId: z.string() })
 */
export function openObject<const S extends z.core.$ZodLooseShape>(shape: S): z.ZodObject<S, z.core.$strip> {
  return z.looseObject(shape) as unknown as z.ZodObject<S, z.core.$strip>
}

/**
 * A string SailPoint documents with a few known values while its runtime schema (ETS) allows any
 * string. Any string is accepted; the type still names the known values, so editors complete them.
 *
 * @example
 * const operation = openEnum(['Add', 'Remove']) // 'Add' | 'Remove' | (string & {})
 */
export function openEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.union([z.enum(values), z.string()]) as unknown as z.ZodType<T[number] | (string & {})>
}

/** An ISO-8601 date-time string, e.g. `2020-06-29T22:01:50.474Z`. */
export const timestamp = z.string()

/** `{ type, id, name }`: how ISC points at an object of one DTO type. */
export function ref<const T extends string>(type: T) {
  return openObject({ type: z.literal(type), id: z.string(), name: z.string() })
}

/** `{ type: 'IDENTITY', id, name }`. */
export const identityRef = ref('IDENTITY')

/** `{ type: 'SOURCE', id, name }`. */
export const sourceRef = ref('SOURCE')

/** True for a non-null, non-array object (the check behind {@link jsonObject}). */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * A JSON object of any keys and values (attribute maps, form data), checked to be an object and
 * kept as it is. `z.record(z.string(), z.unknown())` says the same but runs a key schema, a value
 * schema and a numeric-key test per entry, and copies the object: on a delivery's hot path that
 * cost more than the rest of the payload's validation. Keys of a parsed JSON body are strings, and
 * `__proto__` keys are refused before validation.
 */
export const jsonObject = z
  .custom<Record<string, unknown>>(isJsonObject, { error: 'Invalid input: expected object' })
  .meta({ type: 'object' })

/** Attributes whose keys and values depend on the tenant's configuration. */
export const attributeMap = jsonObject

/** An attribute value in a change record: a scalar, a list, or null. */
export const attributeValue = z
  .union([z.string(), z.boolean(), z.number(), z.array(z.string().nullable())])
  .nullable()

/** `{ id, name }` of an owner or a governance group. */
export const namedRef = openObject({ id: z.string(), name: z.string() })

/**
 * A reviewer that is an identity or a governance group. SailPoint's schema requires none of its
 * fields (the certification triggers).
 */
export const reviewerRef = openObject({
  id: z.string().optional(),
  name: z.string().optional(),
  type: z.enum(['IDENTITY', 'GOVERNANCE_GROUP']).optional(),
  email: z.string().nullish(),
  created: timestamp.nullish(),
  modified: timestamp.nullish(),
})
