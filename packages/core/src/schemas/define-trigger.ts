import type { input, output, ZodType } from 'zod'
import { TriggerConfigError } from '../errors.js'

/** ISC's two trigger types: most are fire-and-forget; two wait for a decision. */
export type TriggerType = 'fire-and-forget' | 'request-response'

interface TriggerBase<Id extends string, Input extends ZodType> {
  /** The trigger id ISC uses, e.g. `idn:identity-created`. */
  readonly id: Id
  /** Display name, e.g. `Identity Created`. */
  readonly name: string
  /** Schema of the body ISC sends (without `_metadata`); unknown fields must be kept. */
  readonly input: Input
  /** SailPoint deprecated this trigger. */
  readonly deprecated: boolean
  /** The id is published by SailPoint (false: seen only in community code or guessed from docs). */
  readonly confirmed: boolean
}

/** A trigger ISC delivers once and never waits for (ISC never redelivers it). */
export interface FireAndForgetTrigger<Id extends string = string, Input extends ZodType = ZodType>
  extends TriggerBase<Id, Input> {
  readonly type: 'fire-and-forget'
}

/** A trigger whose subscriber decides: the reply (or callback) is checked against `output`. */
export interface RequestResponseTrigger<
  Id extends string = string,
  Input extends ZodType = ZodType,
  Output extends ZodType = ZodType,
> extends TriggerBase<Id, Input> {
  readonly type: 'request-response'
  readonly output: Output
}

/** Any trigger definition. */
export type AnyTrigger = FireAndForgetTrigger | RequestResponseTrigger

/** The payload a handler of trigger `T` receives (after validation). */
export type InputOf<T extends AnyTrigger> = output<T['input']>

/** What a request-response handler of `T` returns (checked against the output schema). */
export type OutputOf<T extends AnyTrigger> =
  T extends RequestResponseTrigger<string, ZodType, infer O> ? input<O> : never

/**
 * The shape of a trigger id or name (at most 128 characters of letters, digits, `_`, `.`, `:` and
 * `-`): what `defineTrigger()` accepts as an id, and what a reply or a log line may echo of what a
 * delivery asked for (anything else is not repeated back).
 */
export const TRIGGER_ID_PATTERN = /^[A-Za-z0-9][\w.:-]{0,127}$/

interface DefineOptions<Id extends string, Input extends ZodType> {
  id: Id
  input: Input
  /** Display name; the id when omitted. */
  name?: string
  deprecated?: boolean
  /** Whether SailPoint publishes this id; default true. */
  confirmed?: boolean
}

function isZodType(value: unknown): value is ZodType {
  return typeof value === 'object' && value !== null && typeof (value as ZodType).safeParse === 'function'
}

/**
 * Describes a trigger: its id, its type and its schemas. Use it for a trigger the built-in
 * {@link catalog} does not know yet, then pass the definition to `receiver.on()`.
 *
 * @example
 * const scopeChanged = defineTrigger({
 *   id: 'idn:ciem-scope-changed',
 *   type: 'fire-and-forget',
 *   input: z.looseObject({ source: z.looseObject({ id: z.string() }) }),
 * })
 * receiver.on(scopeChanged, async (input) => console.log(input.source.id))
 */
export function defineTrigger<const Id extends string, Input extends ZodType>(
  options: DefineOptions<Id, Input> & { type: 'fire-and-forget' },
): FireAndForgetTrigger<Id, Input>
export function defineTrigger<const Id extends string, Input extends ZodType, Output extends ZodType>(
  options: DefineOptions<Id, Input> & { type: 'request-response'; output: Output },
): RequestResponseTrigger<Id, Input, Output>
export function defineTrigger(
  options: DefineOptions<string, ZodType> & { type: TriggerType; output?: ZodType },
): AnyTrigger {
  const { id, type, input: inputSchema } = options
  if (typeof id !== 'string' || !TRIGGER_ID_PATTERN.test(id))
    throw new TriggerConfigError(
      'defineTrigger: `id` must be a trigger id such as "idn:identity-created" (at most 128 characters)',
    )
  if (!isZodType(inputSchema))
    throw new TriggerConfigError(`defineTrigger(${id}): \`input\` must be a zod schema`)
  const base = {
    id,
    name: options.name ?? id,
    input: inputSchema,
    deprecated: options.deprecated ?? false,
    confirmed: options.confirmed ?? true,
  }
  if (type === 'fire-and-forget') return Object.freeze({ ...base, type })
  if (type === 'request-response') {
    if (!isZodType(options.output))
      throw new TriggerConfigError(
        `defineTrigger(${id}): a request-response trigger needs an \`output\` zod schema`,
      )
    return Object.freeze({ ...base, type, output: options.output })
  }
  throw new TriggerConfigError(
    `defineTrigger(${id}): \`type\` must be 'fire-and-forget' or 'request-response', not ${JSON.stringify(type)}`,
  )
}

/** The id without its namespace (`identity-created` for `idn:identity-created`): the URL may use either. */
export function shortName(id: string): string {
  const colon = id.indexOf(':')
  return colon === -1 ? id : id.slice(colon + 1)
}
