#!/usr/bin/env node
// The `isc-triggers` command: the catalog, samples, deliveries like ISC's, and a real tenant's
// test-invocation API. Exit codes: 0 ok, 1 the target answered but not as ISC expects (or no
// completion), 2 wrong usage, 3 the target could not be reached or did not answer in time.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { type AnyTrigger, catalog, type TriggerId } from '@isc-triggers/core'
import { deliver } from './deliver.js'
import { startFakeIsc } from './fake-isc.js'
import { sampleInput } from './sample.js'
import { sampleOutputs } from './samples.js'

const EXIT = { ok: 0, unexpected: 1, usage: 2, unreachable: 3 } as const

const HELP: Record<string, string> = {
  main: `isc-triggers: test SailPoint ISC trigger subscribers without a tenant

Usage: isc-triggers <command> [options]

Commands:
  list          list the trigger catalog
  sample        print a valid sample payload of a trigger
  send          deliver a trigger to a service the way ISC does
  test-invoke   ask a real tenant to send a test invocation

Run 'isc-triggers <command> --help' for a command's options.
Exit codes: 0 ok, 1 unexpected reply, 2 usage error, 3 target unreachable or too slow.`,
  list: `Usage: isc-triggers list [--type fire-and-forget|request-response] [--search TEXT] [--json]

Lists every trigger: id, type, whether SailPoint publishes the id, whether it is deprecated.`,
  sample: `Usage: isc-triggers sample <trigger> [--output]

Prints a valid input payload of <trigger> (an id like idn:identity-created, or identity-created).
--output prints a valid decision of a request-response trigger instead.`,
  send: `Usage: isc-triggers send <trigger> --url URL [--bearer TOKEN | --basic USER:PASSWORD]
                        [--mode sync|async|dynamic] [--input FILE] [--timeout MS] [--isc-port PORT]

Delivers <trigger> like ISC: POST to URL/<trigger name> (URL is where the receiver is mounted, e.g.
http://127.0.0.1:3000/isc/triggers), a JSON body (the sample, or FILE), the subscription's credentials.
For a request-response trigger in async or dynamic mode it adds _metadata with a callback URL on a
local fake ISC (on --isc-port, default any free port: list http://127.0.0.1:PORT in the service's
completion.allowedCallbackOrigins) and waits for the completion.
--timeout: longest wait for the reply and the completion (default 15000).`,
  'test-invoke': `Usage: isc-triggers test-invoke <trigger> --tenant URL --client-id ID --client-secret SECRET [--input FILE]

Asks a tenant (URL: its API origin, e.g. https://acme.api.identitynow.com) to send a test invocation of
<trigger> to its subscriptions: gets a client-credentials token from URL/oauth/token, then
POST URL/beta/trigger-invocations/test with { triggerId, input?, contentJson: {} }.`,
}

class UsageError extends Error {}

function findTrigger(name: string | undefined): AnyTrigger {
  if (!name) throw new UsageError('name a trigger, e.g. idn:identity-created or identity-created')
  const all = catalog as Record<string, AnyTrigger>
  const trigger = all[name] ?? all[`idn:${name}`]
  if (!trigger) throw new UsageError(`unknown trigger "${name}": run 'isc-triggers list' to see the catalog`)
  return trigger
}

function readInput(file: string | undefined): Record<string, unknown> | undefined {
  if (file === undefined) return undefined
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new UsageError(`cannot read --input ${file}`)
  }
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new UsageError(`--input ${file} is not JSON`)
  }
}

function list(args: string[], out: (line: string) => void): number {
  const { values } = parseArgs({
    args,
    options: { type: { type: 'string' }, search: { type: 'string' }, json: { type: 'boolean' } },
  })
  if (values.type && values.type !== 'fire-and-forget' && values.type !== 'request-response')
    throw new UsageError('--type is fire-and-forget or request-response')
  const triggers = Object.values(catalog as Record<string, AnyTrigger>)
    .filter((t) => !values.type || t.type === values.type)
    .filter((t) => !values.search || `${t.id} ${t.name}`.toLowerCase().includes(values.search.toLowerCase()))
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

function sample(args: string[], out: (line: string) => void): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { output: { type: 'boolean' } },
  })
  const trigger = findTrigger(positionals[0])
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

async function send(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      bearer: { type: 'string' },
      basic: { type: 'string' },
      mode: { type: 'string' },
      input: { type: 'string' },
      timeout: { type: 'string' },
      'isc-port': { type: 'string' },
    },
  })
  const trigger = findTrigger(positionals[0])
  if (!values.url) throw new UsageError('--url is required: where the receiver is mounted')
  const mode = (values.mode ?? 'sync') as 'sync' | 'async' | 'dynamic'
  if (!['sync', 'async', 'dynamic'].includes(mode)) throw new UsageError('--mode is sync, async or dynamic')
  if (mode !== 'sync' && trigger.type !== 'request-response')
    throw new UsageError(`--mode ${mode} is for request-response triggers; ${trigger.id} is fire-and-forget`)
  if (values.basic !== undefined && !values.basic.includes(':'))
    throw new UsageError('--basic is USER:PASSWORD')
  const timeoutMs = Number(values.timeout ?? 15_000)
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new UsageError('--timeout is a number of milliseconds')
  const [username, ...rest] = (values.basic ?? '').split(':')
  const isc = mode === 'sync' ? undefined : await startFakeIsc({ port: Number(values['isc-port'] ?? 0) })
  if (isc) out(`fake ISC for the callback at ${isc.origin} (list it in completion.allowedCallbackOrigins)`)
  try {
    let reply: Awaited<ReturnType<typeof deliver>>
    try {
      reply = await deliver(values.url, trigger.id as TriggerId, readInput(values.input), {
        ...(values.bearer !== undefined ? { bearer: values.bearer } : {}),
        ...(values.basic !== undefined
          ? { basic: { username: username ?? '', password: rest.join(':') } }
          : {}),
        mode,
        ...(isc ? { isc } : {}),
        timeoutMs,
      })
    } catch (error) {
      out(unreachable(error, values.url, timeoutMs))
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

async function testInvoke(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      input: { type: 'string' },
    },
  })
  const trigger = findTrigger(positionals[0])
  if (!values.tenant || !values['client-id'] || !values['client-secret'])
    throw new UsageError('--tenant, --client-id and --client-secret are required')
  const tenant = values.tenant.replace(/\/$/, '')
  const input = readInput(values.input)
  try {
    const tokenResponse = await fetch(`${tenant}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: values['client-id'],
        client_secret: values['client-secret'],
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

const COMMANDS: Record<string, (args: string[], out: (line: string) => void) => number | Promise<number>> = {
  list,
  sample,
  send,
  'test-invoke': testInvoke,
}

/** Runs the CLI with `argv` (without `node` and the script); resolves with the exit code. */
export async function main(
  argv: string[],
  out = (line: string) => console.log(line),
  err = out,
): Promise<number> {
  const [command, ...args] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out(HELP.main!)
    return command ? EXIT.ok : EXIT.usage
  }
  const run = COMMANDS[command]
  if (!run) {
    err(`unknown command "${command}"\n\n${HELP.main}`)
    return EXIT.usage
  }
  if (args.includes('--help') || args.includes('-h')) {
    out(HELP[command]!)
    return EXIT.ok
  }
  try {
    return await run(args, out)
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    if (!usage) throw error
    err(`isc-triggers ${command}: ${(error as Error).message}\n\n${HELP[command]}`)
    return EXIT.usage
  }
}

main(process.argv.slice(2), undefined, (line) => console.error(line)).then(
  (code) => {
    process.exitCode = code
  },
  (error) => {
    console.error(error)
    process.exitCode = EXIT.unexpected
  },
)
