/**
 * An invocation as ISC's `GET /trigger-invocations/status` lists it (the SDK's
 * `InvocationStatusBeta`). Fields the fake cannot know (an invocation it only saw completed) are
 * empty strings.
 */
export interface InvocationStatus {
  id: string
  triggerId: string
  subscriptionId: string
  subscriptionName: string
  type: 'TEST' | 'REAL_TIME'
  /** ISO-8601, UTC. */
  created: string
  /** ISO-8601, UTC; absent while the invocation is in flight. */
  completed?: string
  startInvocationInput: { triggerId?: string; input?: unknown; contentJson?: unknown }
  completeInvocationInput?: {
    output: unknown
    localizedError: { locale: string; message: string } | null
  }
}

/** What `POST .../trigger-invocations/test` answers, one per subscription. */
export interface StartedInvocation {
  id: string
  triggerId: string
  secret: string
  contentJson: unknown
}

/** A valid test-invocation request body. */
export interface TestInvocationRequest {
  triggerId: string
  input?: unknown
  contentJson: object
  subscriptionIds?: string[]
}

/** The subscription a test invocation goes to when the request names none. */
export const DEFAULT_SUBSCRIPTION = { id: 'fake-subscription', name: 'Fake ISC subscription' }

/** ISC's default and largest page of `GET .../status`. */
const MAX_LIMIT = 250
const FILTER = /^(triggerId|subscriptionId) eq "((?:[^"\\]|\\.)*)"$/

/** A page of statuses, or why the query was refused. */
export type StatusPage =
  | { ok: true; items: InvocationStatus[]; total: number }
  | { ok: false; message: string }

function parseFilters(
  filters: string | null,
): { field: 'triggerId' | 'subscriptionId'; value: string }[] | string {
  if (filters === null || filters.trim() === '') return []
  const terms = []
  for (const term of filters.trim().split(/\s+and\s+/i)) {
    const match = FILTER.exec(term)
    if (!match) return `unsupported filter "${term}": use triggerId eq "..." or subscriptionId eq "..."`
    terms.push({
      field: match[1] as 'triggerId' | 'subscriptionId',
      value: match[2]!.replace(/\\(.)/g, '$1'),
    })
  }
  return terms
}

function parseCount(text: string | null, fallback: number, max: number): number | undefined {
  if (text === null) return fallback
  const value = Number(text)
  return Number.isInteger(value) && value >= 0 && value <= max ? value : undefined
}

/**
 * What the fake knows of invocations: those started by the test-invocation API (with their
 * secrets) and those completed through a callback URL, for the status list.
 */
export function createInvocationStore() {
  const byId = new Map<string, { status: InvocationStatus; secret: string | undefined }>()
  let started = 0

  return {
    /** Starts one TEST invocation per subscription (the named ones, or the default one). */
    startTest(request: TestInvocationRequest): StartedInvocation[] {
      const subscriptions = request.subscriptionIds?.length
        ? request.subscriptionIds.map((id) => ({ id, name: `Fake ISC subscription ${id}` }))
        : [DEFAULT_SUBSCRIPTION]
      return subscriptions.map((subscription) => {
        const n = ++started
        const id = `test-invocation-${n}`
        const secret = `secret-${n}`
        byId.set(id, {
          secret,
          status: {
            id,
            triggerId: request.triggerId,
            subscriptionId: subscription.id,
            subscriptionName: subscription.name,
            type: 'TEST',
            created: new Date().toISOString(),
            startInvocationInput: {
              triggerId: request.triggerId,
              ...(request.input === undefined ? {} : { input: request.input }),
              contentJson: request.contentJson,
            },
          },
        })
        return { id, triggerId: request.triggerId, secret, contentJson: request.contentJson }
      })
    },

    /** Whether `secret` may complete `id`: any secret for an invocation the fake did not start. */
    secretMatches(id: string, secret: string): boolean {
      const known = byId.get(id)?.secret
      return known === undefined || known === secret
    },

    /** Records a completion (`{ secret, output }` or `{ secret, error }`) in the status list. */
    complete(id: string, body: { output?: unknown; error?: unknown }) {
      const now = new Date().toISOString()
      const entry = byId.get(id) ?? {
        secret: undefined,
        status: {
          id,
          triggerId: '',
          subscriptionId: '',
          subscriptionName: '',
          type: 'REAL_TIME' as const,
          created: now,
          startInvocationInput: {},
        },
      }
      entry.status.completed = now
      entry.status.completeInvocationInput = {
        output: body.output ?? null,
        localizedError: typeof body.error === 'string' ? { locale: 'en-US', message: body.error } : null,
      }
      byId.set(id, entry)
    },

    /**
     * The status list, oldest first, with ISC's query parameters: `limit` (≤ 250), `offset`, and
     * `filters` (`triggerId eq "..."`, `subscriptionId eq "..."`, joined by `and`).
     */
    list(query: URLSearchParams): StatusPage {
      const limit = parseCount(query.get('limit'), MAX_LIMIT, MAX_LIMIT)
      const offset = parseCount(query.get('offset'), 0, Number.MAX_SAFE_INTEGER)
      if (limit === undefined || offset === undefined)
        return { ok: false, message: `limit must be 0..${MAX_LIMIT} and offset a whole number` }
      const filters = parseFilters(query.get('filters'))
      if (typeof filters === 'string') return { ok: false, message: filters }
      const matching = [...byId.values()]
        .map((entry) => entry.status)
        .filter((status) => filters.every((term) => status[term.field] === term.value))
      return {
        ok: true,
        items: structuredClone(matching.slice(offset, offset + limit)),
        total: matching.length,
      }
    },
  }
}

/** The fake's invocation store. */
export type InvocationStore = ReturnType<typeof createInvocationStore>
