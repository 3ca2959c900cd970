// Making the tenant match a plan: deletions first (a request-response trigger's one slot is freed),
// then updates in place (PUT, same id), then creations.
import type { SubscriptionChange, SubscriptionsPlan } from './plan.js'
import type { TenantClient } from './tenant-client.js'

/**
 * A change as applied: the subscription's id (a new one for a creation).
 *
 * @example
 * const applied: AppliedChange[] = await applySubscriptions(plan, client)
 */
export type AppliedChange = Pick<SubscriptionChange, 'action' | 'triggerId' | 'name'> & { id: string }

/**
 * Applies a plan's changes in order and returns them with their ids. Updates replace the
 * subscription in place (PUT, same id, the secrets sent again); nothing is deleted to be recreated
 * except when its trigger changed. Stops at the first refusal (a `tenant` SubscriptionsError); the
 * changes made before it stay made, and a new plan shows what is left.
 *
 * @example
 * const client = tenantClient({ tenant, clientId, clientSecret })
 * const applied = await applySubscriptions(await planSubscriptions(desired, client), client)
 */
export async function applySubscriptions(
  plan: SubscriptionsPlan,
  client: Pick<TenantClient, 'create' | 'replace' | 'remove'>,
): Promise<AppliedChange[]> {
  const applied: AppliedChange[] = []
  for (const change of plan.changes) {
    const { action, triggerId, name } = change
    if (change.action === 'delete') await client.remove(change.id)
    const id =
      change.action === 'create'
        ? (await client.create(change.desired)).id
        : change.action === 'update'
          ? (await client.replace(change.id, change.desired)).id
          : change.id
    applied.push({ action, triggerId, name, id })
  }
  return applied
}
