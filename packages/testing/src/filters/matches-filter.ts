// Evaluates an ISC trigger filter (Jayway JSONPath) locally with jsonpathly, made to behave as
// Jayway does where the two are known to differ (see the README, "Filters").
import { JSONPathSyntaxError, parse, query, stringify } from 'jsonpathly'

/**
 * What {@link matchesFilter} found: ISC delivers the event when `matched` is true.
 *
 * @example
 * ```ts
 * const { matched, nodes }: FilterResult = matchesFilter('$.changes[*].attribute', input)
 * ```
 */
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

/** Regular-expression syntax jsonpathly never matches (backreferences, lookaround, named groups, `\b`). */
const UNMATCHED_REGEX = /\\[1-9bB]|\(\?<?[=!]|\(\?<[A-Za-z]/

/**
 * The tree with every `=~` pattern anchored, `/p/` → `/^(?:p)$/`: Jayway matches the whole string
 * (Java's `Matcher.matches`), jsonpathly any part of it. A pattern JavaScript cannot compile, or that
 * jsonpathly would silently never match, is a SyntaxError.
 */
function wholeMatchRegexes(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(wholeMatchRegexes)
  if (node === null || typeof node !== 'object') return node
  const copy: Node = {}
  for (const [key, value] of Object.entries(node)) copy[key] = wholeMatchRegexes(value)
  if (copy.type !== 'value' || copy.subtype !== 'regex' || typeof copy.value !== 'string') return copy
  const pattern = copy.value.slice(1, -1)
  if (UNMATCHED_REGEX.test(pattern))
    throw new SyntaxError(
      `filter is not JSONPath here: ${copy.value} (not supported locally: backreferences, lookaround, named groups and \\b in regular expressions)`,
    )
  try {
    new RegExp(pattern, String(copy.opts ?? ''))
  } catch (error) {
    throw new SyntaxError(`filter is not JSONPath: ${(error as Error).message}`, { cause: error })
  }
  return { ...copy, value: `/^(?:${pattern})$/` }
}

/** Adds `[0]` after every `$` inside a step: the root is the first element of the document. */
function rootToFirst(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rootToFirst)
  if (node === null || typeof node !== 'object') return node
  const copy: Node = {}
  for (const [key, value] of Object.entries(node)) copy[key] = rootToFirst(value)
  if (copy.type === 'root') return { type: 'root', next: index(0, copy.next ?? null) }
  return copy
}

function index(value: number, next: Node | null): Node {
  return {
    type: 'subscript',
    value: { type: 'bracketMember', value: { type: 'numericLiteral', value } },
    next,
  }
}

function isFilterStep(step: Node): boolean {
  return (
    step.type === 'subscript' && ((step.value as Node).value as Node | undefined)?.type === 'filterExpression'
  )
}

/** `..[?(...)]`: a deep scan into a filter. */
function isScanFilterStep(step: Node): boolean {
  const scan = step.value as Node | undefined
  return (
    step.type === 'subscript' &&
    scan?.type === 'dotdot' &&
    (scan.value as Node | undefined)?.type === 'bracketExpression' &&
    ((scan.value as Node).value as Node | undefined)?.type === 'filterExpression'
  )
}

/** Every object at or under `node` in Jayway's scan order: an object, then what its members hold. */
function objectsUnder(node: unknown, into: unknown[] = []): unknown[] {
  if (Array.isArray(node)) for (const item of node) objectsUnder(item, into)
  else if (node !== null && typeof node === 'object') {
    into.push(node)
    for (const member of Object.values(node)) objectsUnder(member, into)
  }
  return into
}

function parseFilter(filter: string): Node {
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
  return wholeMatchRegexes(tree) as Node
}

/**
 * The steps after `$` evaluated from `node`, over the document `[root, node]`: the path becomes
 * `$[1]...`, and `$` inside it `$[0]`, so predicates still see the trigger's input as `$`.
 */
function select(root: unknown, node: unknown, steps: readonly Node[]): unknown[] {
  if (steps.length === 0) return [node]
  const chain = steps.reduceRight<Node | null>((next, step) => ({ ...step, next }), null)
  const path = { type: 'root', next: index(1, rootToFirst(chain) as Node) }
  return query([root, node], stringify(path as Parameters<typeof stringify>[0]), {
    returnArray: true,
  }) as unknown[]
}

/**
 * Jayway applies `[?(...)]` on an object to the object itself, and on an array to each element;
 * jsonpathly (like Goessner's JSONPath) applies it to each value of an object too. So the path
 * runs step by step, and a filter meets an object wrapped in a one-element array. A scan
 * `..[?(...)]` tests every object at or under the node, as Jayway's scan does (jsonpathly skips the
 * elements of arrays).
 */
function evaluate(filter: string, input: unknown): unknown[] {
  const steps: Node[] = []
  for (let step = parseFilter(filter).next; step; step = step.next) steps.push({ ...step, next: null })
  let nodes: unknown[] = [input]
  let pending: Node[] = []
  for (const step of steps) {
    const scan = isScanFilterStep(step)
    if (!scan && !isFilterStep(step)) {
      pending.push(step)
      continue
    }
    const before = pending
    pending = []
    const filter: Node = scan ? { type: 'subscript', value: (step.value as Node).value, next: null } : step
    nodes = nodes
      .flatMap((node) => select(input, node, before))
      .flatMap((node) => (scan ? objectsUnder(node).map((object) => [object]) : [node]))
      .flatMap((node) => {
        if (node === null || typeof node !== 'object') return []
        return select(input, Array.isArray(node) ? node : [node], [filter])
      })
  }
  return nodes.flatMap((node) => select(input, node, pending))
}

/**
 * The prototype of the copies a filter runs on: it ends its chain, so jsonpathly takes the copies for
 * plain objects, and it has no members, so `toString` or `constructor` read as absent (jsonpathly
 * looks members up with `in`, which would find `Object.prototype`'s).
 */
const NO_MEMBERS: object = Object.create(null)

/** A copy of `value` whose objects inherit nothing; `originals` maps each copy back. */
function ownMembersOnly(value: unknown, originals: Map<unknown, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value
  let copy: unknown
  if (Array.isArray(value)) copy = value.map((item) => ownMembersOnly(item, originals))
  else {
    copy = Object.create(NO_MEMBERS)
    for (const [key, member] of Object.entries(value))
      Object.defineProperty(copy, key, {
        value: ownMembersOnly(member, originals),
        enumerable: true,
        writable: true,
        configurable: true,
      })
  }
  originals.set(copy, value)
  return copy
}

/**
 * Evaluates an ISC trigger filter, a Jayway JSONPath expression, against a trigger's input the
 * way ISC decides whether to deliver an event: it matches when it selects at least one node. A
 * filter on an object (`$[?(...)]` on the input, `$.identity[?(...)]`) tests the object itself, as
 * Jayway does, and a filter on an array tests each element. A local check
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
  const originals = new Map<unknown, unknown>()
  const nodes = evaluate(filter, ownMembersOnly(input, originals)).map((node) =>
    originals.has(node) ? originals.get(node) : node,
  )
  return { matched: nodes.length > 0, nodes }
}
