/** The mount path as compared: `''` for the root, else a leading and no trailing slash. */
export function normalisePath(path: string | undefined): string {
  if (!path || path === '/') return ''
  const withSlash = path.startsWith('/') ? path : `/${path}`
  return withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash
}

/**
 * The trigger segment of `url` under the mount path `base`: `''` for the mount path itself,
 * `undefined` when the URL is not the receiver's (elsewhere, or nested deeper than one segment).
 * Adapters without their own router use it to decide between handling a request and `next()`.
 *
 * @example
 * triggerSegment('/isc/triggers/identity-created?x=1', '/isc/triggers') // 'identity-created'
 * triggerSegment('/health', '/isc/triggers') // undefined
 */
export function triggerSegment(url: string, base: string): string | undefined {
  return segmentUnder(url, normalisePath(base))
}

/** {@link triggerSegment} with a mount path already normalised (the per-request path). */
export function segmentUnder(url: string, base: string): string | undefined {
  const query = url.indexOf('?')
  let pathname = query === -1 ? url : url.slice(0, query)
  if (base !== '') {
    if (!pathname.startsWith(base)) return undefined
    pathname = pathname.slice(base.length)
  }
  if (pathname === '' || pathname === '/') return ''
  if (pathname.charCodeAt(0) !== 47 /* / */) return undefined
  const end = pathname.endsWith('/') ? pathname.length - 1 : pathname.length
  const segment = pathname.slice(1, end)
  if (segment.includes('/')) return undefined
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}
