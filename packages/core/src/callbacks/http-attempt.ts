// The HTTP rules every request of the completion client follows (the callback and the OAuth token):
// - never follow a redirect (`redirect: 'manual'`): a 3xx is a final answer, so neither the
//   invocation's secret, the bearer token nor the client secret ever reach another origin;
// - each attempt has its own time limit, on a timer cleared as soon as the attempt settles, so a
//   failed attempt leaves nothing behind (no `AbortSignal.timeout` timer holding the request for
//   the full limit) and nothing keeps the process alive after it.

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
 * POSTs once without following redirects, aborted after `timeoutMs` or by `controller` (the
 * caller's way to stop it early).
 *
 * @example
 * const response = await postOnce(url, { 'content-type': 'application/json' }, body, 10_000)
 */
export async function postOnce(
  url: string,
  headers: Record<string, string>,
  body: string | URLSearchParams,
  timeoutMs: number,
  controller: AbortController = new AbortController(),
): Promise<Response> {
  const timer = setTimeout(() => controller.abort(new AttemptTimedOut(timeoutMs)), timeoutMs)
  try {
    return await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: controller.signal })
  } finally {
    clearTimeout(timer)
  }
}

/** Drops a response's body without reading it (frees its connection). Never throws. */
export async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel()
  } catch {}
}
