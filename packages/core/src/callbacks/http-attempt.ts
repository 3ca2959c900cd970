// The HTTP rules every request of the completion client follows (the callback and the OAuth token):
// - never follow a redirect (`redirect: 'manual'`): a 3xx is a final answer, so neither the
//   invocation's secret, the bearer token nor the client secret ever reach another origin;
// - each attempt has its own time limit, and it covers the whole exchange: the headers AND reading
//   (or dropping) the body. A server that sends its headers and then stalls mid-body is cut at the
//   limit like one that never answers (the abort errors the body stream too). The timer is
//   cleared as soon as the attempt settles, so a failed attempt leaves nothing behind (no
//   `AbortSignal.timeout` timer holding the request for the full limit) and nothing keeps the
//   process alive after it.

/** The attempt did not get an answer within its time limit. */
export class AttemptTimedOut extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`)
  }
}

/** True for a 3xx: answered, but elsewhere. It is never followed. */
export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400
}

/**
 * POSTs once without following redirects and hands the response to `read`, which must consume or
 * drop its body. All of it (headers and `read`) is aborted after `timeoutMs` or by `controller`
 * (the caller's way to stop it early); the timer is cleared only once `read` has settled.
 *
 * @example
 * const status = await postOnce(url, { 'content-type': 'application/json' }, body, 10_000, async (response) => {
 *   await discard(response)
 *   return response.status
 * })
 */
export async function postOnce<T>(
  url: string,
  headers: Record<string, string>,
  body: string | URLSearchParams,
  timeoutMs: number,
  read: (response: Response) => Promise<T>,
  controller: AbortController = new AbortController(),
): Promise<T> {
  const timer = setTimeout(() => controller.abort(new AttemptTimedOut(timeoutMs)), timeoutMs)
  try {
    const { signal } = controller
    const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal })
    return await read(response)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Drops a response's body without reading it (frees its connection). Never throws.
 *
 * @example
 * if (!response.ok) await discard(response)
 */
export async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel()
  } catch {}
}
