// The `isc-triggers` commands: the catalog, samples, deliveries like ISC's, a real tenant's
// test-invocation API, filters (checked locally or by a tenant) and subscriptions as code. Each is an option table (help and parser come from it) and a function.
import { type AnyTrigger, catalog, type TriggerId } from '@isc-triggers/core'
import { deliver } from '../deliver.js'
import { startFakeIsc } from '../fake-isc.js'
import { sampleInput } from '../sample-builders.js'
import { sampleOutputs } from '../sample-payloads.js'
import { type CommandSpec, type OptionSpec, parseCommandLine, UsageError } from './command-line.js'
import { EXIT, type Out, readInput, trigger } from './common.js'
import { FILTER_CHECK, filterCheck } from './filter-check.js'
import { FILTER_VALIDATE, filterValidate } from './filter-validate.js'
import { SUBSCRIPTIONS_COMMANDS } from './subscriptions-command.js'

export { EXIT } from './common.js'

export const LIST = {
  name: 'list',
  summary: 'list the trigger catalog',
  about: 'Lists every trigger: id, type, whether SailPoint publishes the id, whether it is deprecated.',
  options: [
    {
      name: 'type',
      flag: 'type',
      choices: ['fire-and-forget', 'request-response'],
      description: 'only the triggers of this type',
    },
    {
      name: 'search',
      flag: 'search',
      value: 'TEXT',
      description: 'only the triggers whose id or name contains TEXT (in any case)',
    },
    { name: 'json', flag: 'json', description: 'print a JSON array instead of a table' },
  ],
} as const satisfies CommandSpec<readonly OptionSpec[]>

function list(args: string[], out: Out): number {
  const { values } = parseCommandLine(LIST, args)
  const search = values.search?.toLowerCase()
  const triggers = Object.values(catalog as Record<string, AnyTrigger>)
    .filter((t) => !values.type || t.type === values.type)
    .filter((t) => !search || `${t.id} ${t.name}`.toLowerCase().includes(search))
    .sort((a, b) => a.id.localeCompare(b.id))
  if (values.json) {
    out(
      JSON.stringify(
        triggers.map(({ id, name, type, confirmed, deprecated }) => ({
          id,
          name,
          type,
          confirmed,
          deprecated,
        })),
      ),
    )
    return EXIT.ok
  }
  for (const t of triggers)
    out(
      `${t.id.padEnd(46)} ${t.type.padEnd(17)} ${t.confirmed ? '' : 'id unconfirmed '}${t.deprecated ? 'deprecated' : ''}`.trimEnd(),
    )
  return EXIT.ok
}

export const SAMPLE = {
  name: 'sample',
  summary: 'print a valid sample payload of a trigger',
  about: 'Prints a valid input payload of <trigger> (an id like idn:identity-created, or identity-created).',
  argument: trigger,
  options: [
    {
      name: 'output',
      flag: 'output',
      description: 'print a valid decision of a request-response trigger instead',
    },
  ],
} as const satisfies CommandSpec<readonly OptionSpec[], AnyTrigger>

function sample(args: string[], out: Out): number {
  const { values, argument: trigger } = parseCommandLine(SAMPLE, args)
  if (values.output) {
    const output = (sampleOutputs as Record<string, unknown>)[trigger.id]
    if (output === undefined) throw new UsageError(`${trigger.id} is fire-and-forget: it has no output`)
    out(JSON.stringify(output, null, 2))
  } else out(JSON.stringify(sampleInput(trigger.id as TriggerId), null, 2))
  return EXIT.ok
}

function unreachable(error: unknown, url: string, timeoutMs: number): string {
  const cause = (error as { cause?: { code?: string } }).cause?.code
  if ((error as Error).name === 'TimeoutError') return `${url} did not answer within ${timeoutMs} ms`
  return `could not reach ${url}${cause ? ` (${cause})` : ''}: is the service running?`
}

export const SEND = {
  name: 'send',
  summary: 'deliver a trigger to a service the way ISC does',
  about: `Delivers <trigger> like ISC: POST to URL/<trigger name> (URL is where the receiver is mounted, e.g.
http://127.0.0.1:3000/isc/triggers), a JSON body (the sample, or FILE), the subscription's credentials.
For a request-response trigger in async or dynamic mode it adds _metadata with a callback URL on a
local fake ISC (on --isc-port, default any free port: list http://127.0.0.1:PORT in the service's
completion.allowedCallbackOrigins) and waits for the completion.`,
  argument: trigger,
  options: [
    { name: 'url', flag: 'url', value: 'URL', required: true, description: 'where the receiver is mounted' },
    {
      name: 'bearer',
      flag: 'bearer',
      value: 'TOKEN',
      alternativeGroup: 'credentials',
      description: "the subscription's bearer token",
    },
    {
      name: 'basic',
      flag: 'basic',
      value: 'USER:PASSWORD',
      alternativeGroup: 'credentials',
      description: "the subscription's Basic credentials",
    },
    {
      name: 'mode',
      flag: 'mode',
      choices: ['sync', 'async', 'dynamic'],
      default: 'sync',
      description: 'the response mode of a request-response subscription',
    },
    { name: 'input', flag: 'input', value: 'FILE', description: 'a JSON file to send instead of the sample' },
    {
      name: 'timeout',
      flag: 'timeout',
      value: 'MS',
      default: '15000',
      description: 'longest wait for the reply and the completion',
    },
    {
      name: 'iscPort',
      flag: 'isc-port',
      value: 'PORT',
      default: '0',
      description: 'port of the local fake ISC for the callback, 0 for any free port',
    },
  ],
} as const satisfies CommandSpec<readonly OptionSpec[], AnyTrigger>

async function send(args: string[], out: Out): Promise<number> {
  const { values, argument: trigger } = parseCommandLine(SEND, args)
  const { url, mode } = values
  if (mode !== 'sync' && trigger.type !== 'request-response')
    throw new UsageError(`--mode ${mode} is for request-response triggers; ${trigger.id} is fire-and-forget`)
  if (values.basic !== undefined && !values.basic.includes(':'))
    throw new UsageError('--basic is USER:PASSWORD')
  const timeoutMs = Number(values.timeout)
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new UsageError('--timeout is a number of milliseconds')
  const [username, ...rest] = (values.basic ?? '').split(':')
  const isc = mode === 'sync' ? undefined : await startFakeIsc({ port: Number(values.iscPort) })
  if (isc) out(`fake ISC for the callback at ${isc.origin} (list it in completion.allowedCallbackOrigins)`)
  try {
    let reply: Awaited<ReturnType<typeof deliver>>
    try {
      reply = await deliver(url, trigger.id as TriggerId, readInput(values.input), {
        ...(values.bearer !== undefined ? { bearer: values.bearer } : {}),
        ...(values.basic !== undefined
          ? { basic: { username: username ?? '', password: rest.join(':') } }
          : {}),
        mode,
        ...(isc ? { isc } : {}),
        timeoutMs,
      })
    } catch (error) {
      out(unreachable(error, url, timeoutMs))
      return EXIT.unreachable
    }
    out(`${trigger.id} → ${reply.status} in ${reply.durationMs.toFixed(1)} ms`)
    out(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body, null, 2))
    if (reply.status < 200 || reply.status >= 300) return EXIT.unexpected
    if (mode !== 'sync' && !reply.completion && reply.status !== 200) return EXIT.unexpected
    if (reply.completion) {
      try {
        const completion = await reply.completion
        out(`completion received (invocation ${completion.invocationId}):`)
        out(JSON.stringify({ ...(completion.body as object), secret: '<secret>' }, null, 2))
      } catch {
        out(`no completion reached the fake ISC within ${timeoutMs} ms`)
        return EXIT.unexpected
      }
    }
    return EXIT.ok
  } finally {
    await isc?.close()
  }
}

export const TEST_INVOKE = {
  name: 'test-invoke',
  summary: 'ask a real tenant to send a test invocation',
  about: `Asks a tenant (URL: its API origin, e.g. https://acme.api.identitynow.com) to send a test invocation of
<trigger> to its subscriptions: gets a client-credentials token from URL/oauth/token, then
POST URL/beta/trigger-invocations/test with { triggerId, input?, contentJson: {} }.`,
  argument: trigger,
  options: [
    { name: 'tenant', flag: 'tenant', value: 'URL', required: true, description: "the tenant's API origin" },
    {
      name: 'clientId',
      flag: 'client-id',
      value: 'ID',
      required: true,
      description: "an API client's id, for a client-credentials token",
    },
    {
      name: 'clientSecret',
      flag: 'client-secret',
      value: 'SECRET',
      required: true,
      description: "the API client's secret",
    },
    {
      name: 'input',
      flag: 'input',
      value: 'FILE',
      description: "a JSON file to send as the trigger's input, instead of ISC's sample payload",
    },
  ],
} as const satisfies CommandSpec<readonly OptionSpec[], AnyTrigger>

async function testInvoke(args: string[], out: Out): Promise<number> {
  const { values, argument: trigger } = parseCommandLine(TEST_INVOKE, args)
  const tenant = values.tenant.replace(/\/$/, '')
  const input = readInput(values.input)
  try {
    const tokenResponse = await fetch(`${tenant}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: values.clientId,
        client_secret: values.clientSecret,
      }),
    })
    if (!tokenResponse.ok) {
      out(`the tenant refused the client credentials (${tokenResponse.status})`)
      return EXIT.unexpected
    }
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string }
    const response = await fetch(`${tenant}/beta/trigger-invocations/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ triggerId: trigger.id, ...(input ? { input } : {}), contentJson: {} }),
    })
    if (response.status === 204) {
      out(`the tenant has no subscription to ${trigger.id}: nothing was sent`)
      return EXIT.ok
    }
    const text = await response.text()
    out(`${trigger.id} test invocation → ${response.status}`)
    out(text)
    return response.ok ? EXIT.ok : EXIT.unexpected
  } catch (error) {
    out(unreachable(error, tenant, 0))
    return EXIT.unreachable
  }
}

/** Every command, in the order of the main help. */
export const COMMANDS: readonly {
  spec: CommandSpec<readonly OptionSpec[], unknown>
  run: (args: string[], out: Out) => number | Promise<number>
}[] = [
  { spec: LIST, run: list },
  { spec: SAMPLE, run: sample },
  { spec: SEND, run: send },
  { spec: TEST_INVOKE, run: testInvoke },
  { spec: FILTER_CHECK, run: filterCheck },
  { spec: FILTER_VALIDATE, run: filterValidate },
  ...SUBSCRIPTIONS_COMMANDS,
]
