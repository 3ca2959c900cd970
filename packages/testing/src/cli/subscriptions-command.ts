// `isc-triggers subscriptions plan|apply|list`: a tenant's trigger subscriptions kept as code.
import {
  applySubscriptions,
  type DesiredSubscription,
  isManaged,
  planSubscriptions,
  readSubscriptionsConfig,
  SubscriptionsError,
  type SubscriptionsPlan,
  tenantClient,
} from '../subscriptions/index.js'
import { type CommandSpec, type OptionSpec, parseCommandLine, UsageError } from './command-line.js'
import { EXIT, type Out } from './common.js'

const DEFAULT_CONFIG = 'isc-triggers.subscriptions.json'

/** `--tenant`, `--client-id`, `--client-secret` (each with its env var) and `--json`. */
export const TENANT_OPTIONS = [
  {
    name: 'tenant',
    flag: 'tenant',
    value: 'URL',
    description: "the tenant's API origin, e.g. https://acme.api.identitynow.com (or ISC_TENANT)",
  },
  {
    name: 'clientId',
    flag: 'client-id',
    value: 'ID',
    description: "an API client's id with sp:trigger-service-subscriptions:manage (or ISC_CLIENT_ID)",
  },
  {
    name: 'clientSecret',
    flag: 'client-secret',
    value: 'SECRET',
    description: "the API client's secret (or ISC_CLIENT_SECRET)",
  },
  { name: 'json', flag: 'json', description: 'print JSON (for CI) instead of lines' },
] as const satisfies readonly OptionSpec[]

const CONFIG_OPTION = {
  name: 'config',
  flag: 'config',
  value: 'FILE',
  default: DEFAULT_CONFIG,
  description: 'the subscriptions file; secrets come from the env vars it names',
} as const satisfies OptionSpec

const MANAGED = `Subscriptions named isc-triggers:<name> (default isc-triggers:<trigger id>) are managed; others are
never touched. Each URL is baseUrl/<trigger id without idn:>; a hash of the credentials last applied
is kept in the description ("managed by isc-triggers; credentials <hash>"), as ISC never answers secrets.`

export const SUBSCRIPTIONS_PLAN = {
  name: 'subscriptions plan',
  summary: "show what apply would change on a tenant's subscriptions",
  about: `Compares the subscriptions file with the tenant and prints one line per change (create, update,
delete) or "No change". Exits 0 either way; with --exit-code, 1 when there is a change.
${MANAGED}`,
  options: [
    CONFIG_OPTION,
    ...TENANT_OPTIONS,
    { name: 'exitCode', flag: 'exit-code', description: 'exit 1 when the tenant differs from the file' },
  ],
} as const satisfies CommandSpec<readonly OptionSpec[]>

export const SUBSCRIPTIONS_APPLY = {
  name: 'subscriptions apply',
  summary: "make a tenant's subscriptions match the file",
  about: `Creates, updates (in place: same id) and deletes the tenant's managed subscriptions to match the
subscriptions file, and prints what it did. ${MANAGED}`,
  options: [CONFIG_OPTION, ...TENANT_OPTIONS],
} as const satisfies CommandSpec<readonly OptionSpec[]>

export const SUBSCRIPTIONS_LIST = {
  name: 'subscriptions list',
  summary: "list a tenant's trigger subscriptions",
  about:
    "Lists the tenant's trigger subscriptions (managed by isc-triggers or not); secrets are never shown.",
  options: TENANT_OPTIONS,
} as const satisfies CommandSpec<readonly OptionSpec[]>

type TenantValues = {
  tenant?: string | undefined
  clientId?: string | undefined
  clientSecret?: string | undefined
}

/** The tenant client of the options or ISC_TENANT / ISC_CLIENT_ID / ISC_CLIENT_SECRET; a usage error when one is missing. */
export function client(values: TenantValues) {
  const tenant = values.tenant ?? process.env.ISC_TENANT
  const clientId = values.clientId ?? process.env.ISC_CLIENT_ID
  const clientSecret = values.clientSecret ?? process.env.ISC_CLIENT_SECRET
  const missing = [
    tenant ? '' : '--tenant (or ISC_TENANT)',
    clientId ? '' : '--client-id (or ISC_CLIENT_ID)',
    clientSecret ? '' : '--client-secret (or ISC_CLIENT_SECRET)',
  ].filter(Boolean)
  if (missing.length > 0) throw new UsageError(`${missing.join(', ')} required`)
  return tenantClient({ tenant: tenant!, clientId: clientId!, clientSecret: clientSecret! })
}

function readConfig(path: string): DesiredSubscription[] {
  try {
    return readSubscriptionsConfig(path)
  } catch (error) {
    if (error instanceof SubscriptionsError) throw new UsageError(error.message)
    throw error
  }
}

/** Runs a tenant call; a refusal prints and exits 1, an unreachable tenant 3. */
export async function withTenant(out: Out, run: () => Promise<number>): Promise<number> {
  try {
    return await run()
  } catch (error) {
    if (!(error instanceof SubscriptionsError)) throw error
    out(error.message)
    return error.kind === 'unreachable' ? EXIT.unreachable : EXIT.unexpected
  }
}

/** The plan without the bodies (they hold secrets). */
function publicPlan(plan: SubscriptionsPlan) {
  return {
    drift: plan.changes.length > 0,
    changes: plan.changes.map(({ action, triggerId, name, ...rest }) => ({
      action,
      triggerId,
      name,
      ...('id' in rest ? { id: rest.id } : {}),
      ...('changed' in rest ? { changed: rest.changed } : {}),
    })),
    unchanged: plan.unchanged,
    unmanaged: plan.unmanaged,
  }
}

function counts(plan: SubscriptionsPlan, done = false): string {
  const n = (action: string) => plan.changes.filter((c) => c.action === action).length
  const what = (action: string) => (done ? `${n(action)} ${action}d` : `${n(action)} to ${action}`)
  return `${what('create')}, ${what('update')}, ${what('delete')}; ${untouched(plan)}`
}

const untouched = (plan: SubscriptionsPlan) =>
  `${plan.unchanged} unchanged, ${plan.unmanaged} not managed (left alone)`

async function plan(args: string[], out: Out): Promise<number> {
  const { values } = parseCommandLine(SUBSCRIPTIONS_PLAN, args)
  const desired = readConfig(values.config)
  const tenant = client(values)
  return withTenant(out, async () => {
    const result = await planSubscriptions(desired, tenant)
    if (values.json) out(JSON.stringify(publicPlan(result)))
    else if (result.changes.length === 0)
      out(`No change: ${tenant.tenant} matches ${values.config} (${untouched(result)}).`)
    else {
      for (const change of publicPlan(result).changes)
        out(
          `${change.action} ${change.triggerId} (${change.name}${change.id ? `, ${change.id}` : ''})${change.changed ? `: ${change.changed.join(', ')}` : ''}`,
        )
      out(`Plan: ${counts(result)}.`)
    }
    return values.exitCode && result.changes.length > 0 ? EXIT.unexpected : EXIT.ok
  })
}

async function apply(args: string[], out: Out): Promise<number> {
  const { values } = parseCommandLine(SUBSCRIPTIONS_APPLY, args)
  const desired = readConfig(values.config)
  const tenant = client(values)
  return withTenant(out, async () => {
    const result = await planSubscriptions(desired, tenant)
    const applied = await applySubscriptions(result, tenant)
    if (values.json)
      out(JSON.stringify({ applied, unchanged: result.unchanged, unmanaged: result.unmanaged }))
    else if (applied.length === 0) out(`No change: ${tenant.tenant} already matches ${values.config}.`)
    else {
      const past = { create: 'created', update: 'updated', delete: 'deleted' }
      for (const change of applied)
        out(`${past[change.action]} ${change.triggerId} (${change.name}, ${change.id})`)
      out(`Applied: ${counts(result, true)}.`)
    }
    return EXIT.ok
  })
}

async function list(args: string[], out: Out): Promise<number> {
  const { values } = parseCommandLine(SUBSCRIPTIONS_LIST, args)
  const tenant = client(values)
  return withTenant(out, async () => {
    const subscriptions = await tenant.list()
    if (values.json) out(JSON.stringify(subscriptions))
    else if (subscriptions.length === 0) out(`${tenant.tenant} has no trigger subscriptions.`)
    else
      for (const s of subscriptions)
        out(
          [
            s.id,
            s.triggerId.padEnd(40),
            s.name,
            s.httpConfig?.httpDispatchMode ?? s.type,
            s.httpConfig?.url ?? '',
            s.enabled === false ? 'disabled' : '',
            isManaged(s) ? 'managed' : 'not managed',
          ]
            .filter(Boolean)
            .join('  '),
        )
    return EXIT.ok
  })
}

/** The three `subscriptions` commands, for the dispatcher's table. */
export const SUBSCRIPTIONS_COMMANDS = [
  { spec: SUBSCRIPTIONS_PLAN, run: plan },
  { spec: SUBSCRIPTIONS_APPLY, run: apply },
  { spec: SUBSCRIPTIONS_LIST, run: list },
] as const
