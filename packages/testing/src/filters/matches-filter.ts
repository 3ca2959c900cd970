// Evaluates an ISC trigger filter (Jayway JSONPath) locally with jsonpathly, made to behave as
// Jayway does where the two are known to differ (see the README, "Filters").
import { JSONPathSyntaxError, parse, query, stringify } from 'jsonpathly'

/** What {@link matchesFilter} found: ISC delivers the event when `matched` is true. */
export interface FilterResult {
  /** True when the filter selects at least one node: the rule by which ISC delivers an event. */
  readonly matched: boolean
  /** The nodes the filter selects, in document order (Jayway's result list). */
  readonly nodes: unknown[]
}

/** Jayway operators and functions jsonpathly does not parse: named in the syntax error. */
const UNSUPPORTED = [
  { pattern: /\bcontains\b/, hint: 'the contains operator (use =~ /.*text.*/ locally)' },
  { pattern: /\.(length|size|concat|min|max|avg|sum|keys)\(\)/, hint: 'path functions such as length()' },
  {
    pattern: /\bempty\s+(true|false)\b/,
    hint: 'empty true|false (jsonpathly writes `empty` or `!(... empty)`)',
  },
] as const

type Node = { type?: string; next?: Node | null; [key: string]: unknown }

/** Adds `[0]` after every `$` inside a predicate: the root is wrapped in a one-element array. */
function rootToFirst(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rootToFirst)
  if (node === null || typeof node !== 'object') return node
  const copy: Node = {}
  for (const [key, value] of Object.entries(node)) copy[key] = rootToFirst(value)
  if (copy.type === 'root')
    return {
      type: 'root',
      next: {
        type: 'subscript',
        value: { type: 'bracketMember', value: { type: 'numericLiteral', value: 0 } },
        next: copy.next ?? null,
      },
    }
  return copy
}

function isFilterStep(step: Node | null | undefined): boolean {
  const bracket = step?.value as Node | undefined
  return step?.type === 'subscript' && (bracket?.value as Node | undefined)?.type === 'filterExpression'
}

/**
 * Jayway applies `[?(...)]` on an object to the object itself; jsonpathly (like Goessner's
 * JSONPath) to each of its values. For an object root, the document becomes `[root]`: a
 * root-level filter then tests the root itself, any other path starts at `$[0]`, and `$` in
 * predicates means `$[0]`.
 */
function asJayway(filter: string, input: unknown): { path: string; document: unknown } {
  let tree: Node | null
  try {
    tree = parse(filter) as Node | null
  } catch (error) {
    if (!(error instanceof JSONPathSyntaxError)) throw error
    const hints = UNSUPPORTED.filter(({ pattern }) => pattern.test(filter)).map(({ hint }) => hint)
    throw new SyntaxError(
      `filter is not JSONPath: ${error.message}${hints.length ? ` (not supported locally: ${hints.join('; ')})` : ''}`,
      { cause: error },
    )
  }
  if (!tree) throw new SyntaxError('filter is not JSONPath: empty expression')
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return { path: filter, document: input }
  const rewritten = rootToFirst(tree) as Node
  // A root-level filter keeps its `$[?(...)]` (now over [root]); other paths start at `$[0]`.
  const root = isFilterStep(tree.next) ? { type: 'root', next: (rewritten.next as Node).next } : rewritten
  return { path: stringify(root as Parameters<typeof stringify>[0]), document: [input] }
}

/**
 * Evaluates an ISC trigger filter, a Jayway JSONPath expression, against a trigger's input the
 * way ISC decides whether to deliver an event: it matches when it selects at least one node. A
 * filter on the root object (`$[?(...)]`) tests the root itself, as Jayway does. A local check
 * for tests and CI, not the authority: ISC's `validate-filter` is (`isc-triggers filter validate`).
 *
 * @throws {SyntaxError} when the filter does not parse (ISC's validate-filter: `isValidJSONPath: false`).
 * @example
 * ```ts
 * import { matchesFilter, sampleInput } from '@isc-triggers/testing'
 *
 * const input = sampleInput('idn:identity-attributes-changed')
 * matchesFilter("$.changes[?(@.attribute == 'department')]", input).matched // true
 * matchesFilter("$[?($.identity.name == 'john.doe')]", input) // { matched: false, nodes: [] }
 * ```
 */
export function matchesFilter(filter: string, input: unknown): FilterResult {
  const { path, document } = asJayway(filter, input)
  const nodes = query(document, path, { returnArray: true }) as unknown[]
  return { matched: nodes.length > 0, nodes }
}
