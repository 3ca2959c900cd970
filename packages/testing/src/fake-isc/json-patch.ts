/** One RFC 6902 operation of the kinds the fake accepts. */
export interface PatchOperation {
  op: 'add' | 'replace' | 'remove'
  path: string
  value?: unknown
}

/** The patched document, or why the patch was refused. */
export type PatchResult = { ok: true; document: Record<string, unknown> } | { ok: false; message: string }

type Container = Record<string, unknown>

const isContainer = (value: unknown): value is Container =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A member the JSON document has itself: never one inherited from `Object.prototype`. */
const ownMember = (parent: unknown, key: string): unknown =>
  isContainer(parent) && Object.hasOwn(parent, key) ? parent[key] : undefined

/** `/a/b~1c` → `['a', 'b/c']` (RFC 6901), or undefined for a path that is not a pointer. */
function tokens(path: string): string[] | undefined {
  if (!path.startsWith('/')) return undefined
  return path
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/**
 * Applies a JSON patch (RFC 6902 `add`, `replace`, `remove` on object members) to a copy of
 * `document`. Each path's first member must be in `patchable`; `move`, `copy` and `test`, array
 * positions, missing members and `__proto__` are refused. Paths follow the document's own members
 * only, so no path reaches `Object.prototype`.
 *
 * @example
 * applyPatch({ name: 'a' }, [{ op: 'replace', path: '/name', value: 'b' }], ['name']) // { ok: true, document: { name: 'b' } }
 */
export function applyPatch(
  document: Container,
  operations: unknown,
  patchable: readonly string[],
): PatchResult {
  if (!Array.isArray(operations) || operations.length === 0)
    return { ok: false, message: 'the body must be a non-empty JSON patch array' }
  const result = structuredClone(document)
  for (const operation of operations as Partial<PatchOperation>[]) {
    const { op, path } = isContainer(operation) ? operation : ({} as Partial<PatchOperation>)
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      return { ok: false, message: 'op must be add, replace or remove' }
    const keys = typeof path === 'string' ? tokens(path) : undefined
    if (!keys || !patchable.includes(keys[0]!))
      return { ok: false, message: `path must start with one of /${patchable.join(', /')}` }
    let parent: unknown = result
    for (const key of keys.slice(0, -1)) parent = ownMember(parent, key)
    const last = keys[keys.length - 1]!
    if (!isContainer(parent) || last === '__proto__') return { ok: false, message: `no such member: ${path}` }
    if (op !== 'add' && !Object.hasOwn(parent, last)) return { ok: false, message: `no such member: ${path}` }
    if (op === 'remove') delete parent[last]
    else {
      if (!('value' in operation)) return { ok: false, message: `${op} needs a value` }
      parent[last] = structuredClone(operation.value)
    }
  }
  return { ok: true, document: result }
}
