// What apply would do: the file's subscriptions against the tenant's managed ones, by name.
import { type DesiredSubscription, isManaged, type SubscriptionBody } from './config.js'
import { SubscriptionsError } from './errors.js'
import type { TenantClient, TenantSubscription } from './tenant-client.js'

/**
 * One change of a plan. `changed` (updates) lists what differs: `type`, `url`, `mode`, `credentials`,
 * `filter`, `responseDeadline`, `enabled`.
 *
 * @example
 * const lines = plan.changes.map((change: SubscriptionChange) => `${change.action} ${change.triggerId}`)
 */
export type SubscriptionChange =
  | { action: 'create'; triggerId: string; name: string; desired: SubscriptionBody }
  | {
      action: 'update'
      triggerId: string
      name: string
      id: string
      changed: string[]
      desired: SubscriptionBody
    }
  | { action: 'delete'; triggerId: string; name: string; id: string }

/**
 * What apply would do, how many managed subscriptions already match, and how many of the tenant's
 * subscriptions it leaves alone (not managed).
 *
 * @example
 * const plan: SubscriptionsPlan = await planSubscriptions(desired, client)
 * const drift = plan.changes.length > 0
 */
export interface SubscriptionsPlan {
  changes: SubscriptionChange[]
  unchanged: number
  unmanaged: number
}

const blank = (value: unknown) => (value === null || value === undefined || value === '' ? undefined : value)

/** What differs between the tenant's subscription and the desired one (secrets by their hash in the description). */
function differences(actual: TenantSubscription, desired: SubscriptionBody): string[] {
  const http = actual.httpConfig ?? {}
  const want = desired.httpConfig
  const checks: [string, boolean][] = [
    ['type', actual.type !== desired.type],
    ['url', http.url !== want.url],
    ['mode', (http.httpDispatchMode ?? 'SYNC') !== want.httpDispatchMode],
    [
      'credentials',
      (http.httpAuthenticationType ?? 'NO_AUTH') !== want.httpAuthenticationType ||
        blank(http.basicAuthConfig?.userName) !== blank(want.basicAuthConfig?.userName) ||
        blank(actual.description) !== desired.description,
    ],
    ['filter', blank(actual.filter) !== blank(desired.filter)],
    ['responseDeadline', (blank(actual.responseDeadline) ?? 'PT1H') !== desired.responseDeadline],
    ['enabled', (actual.enabled ?? true) !== desired.enabled],
  ]
  return checks.filter(([, differs]) => differs).map(([field]) => field)
}

/**
 * Compares the desired subscriptions with the tenant's: a managed subscription (name
 * `isc-triggers:…`) missing from the file is deleted, one that differs is updated in place, a new
 * one is created; the tenant's other subscriptions are left alone. A subscription whose trigger
 * changed under the same name is deleted and created (ISC's `triggerId` is immutable). A creation
 * to a request-response trigger that already has an unmanaged subscription is refused (`tenant`
 * {@link SubscriptionsError}): ISC allows one. Of two managed subscriptions with one name, the
 * second listed is deleted.
 *
 * @example
 * const plan = await planSubscriptions(readSubscriptionsConfig('subs.json'), tenantClient({ tenant, clientId, clientSecret }))
 * for (const change of plan.changes) console.log(change.action, change.triggerId)
 */
export async function planSubscriptions(
  desired: readonly DesiredSubscription[],
  client: Pick<TenantClient, 'list'>,
): Promise<SubscriptionsPlan> {
  const existing = await client.list()
  const unmanaged = existing.filter((s) => !isManaged(s))
  const deletes: SubscriptionChange[] = []
  // One managed subscription per name; a second of the same name (made by hand) is deleted.
  const managed = new Map<string, TenantSubscription>()
  for (const s of existing.filter(isManaged))
    if (managed.has(s.name))
      deletes.push({ action: 'delete', triggerId: s.triggerId, name: s.name, id: s.id })
    else managed.set(s.name, s)
  const updates: SubscriptionChange[] = []
  const creates: SubscriptionChange[] = []
  let unchanged = 0
  const wanted = new Set(desired.map((d) => d.body.name))
  for (const actual of managed.values())
    if (!wanted.has(actual.name))
      deletes.push({ action: 'delete', triggerId: actual.triggerId, name: actual.name, id: actual.id })
  for (const { body, triggerId, triggerType } of desired) {
    const actual = managed.get(body.name)
    if (actual && actual.triggerId !== triggerId) {
      deletes.push({ action: 'delete', triggerId: actual.triggerId, name: actual.name, id: actual.id })
    } else if (actual) {
      const changed = differences(actual, body)
      if (changed.length === 0) unchanged++
      else
        updates.push({ action: 'update', triggerId, name: body.name, id: actual.id, changed, desired: body })
      continue
    }
    const taken = unmanaged.find((s) => s.triggerId === triggerId)
    if (triggerType === 'request-response' && taken)
      throw new SubscriptionsError(
        'tenant',
        `${triggerId} is a request-response trigger and already has a subscription not managed by isc-triggers ("${taken.name}", ${taken.id}); ISC allows one: delete it or leave the trigger out of the file`,
      )
    creates.push({ action: 'create', triggerId, name: body.name, desired: body })
  }
  return { changes: [...deletes, ...updates, ...creates], unchanged, unmanaged: unmanaged.length }
}
