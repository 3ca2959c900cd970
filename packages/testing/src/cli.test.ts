import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import {
  type AnyTrigger,
  catalog,
  createTriggerReceiver,
  type TriggerReceiver,
  toNodeHandler,
} from '@isc-triggers/core'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeIsc } from './fake-isc.js'

// The `isc-triggers` command, run as a process the way a user runs it.
const ROOT = resolve(import.meta.dirname, '../../..')
const CLI = resolve(import.meta.dirname, 'cli.ts')
const TOKEN = 'cli-test-token'
const DECISION = { approved: true, comment: 'ok', approver: 'svc' }

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@isc-triggers/source', CLI, ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  child.stderr.on('data', (chunk) => {
    err += chunk
  })
  const [code] = (await once(child, 'exit')) as [number]
  return { code, out, err }
}

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((done) => server.close(done))
})

async function serve(receiver: TriggerReceiver): Promise<string> {
  const server = createServer(toNodeHandler(receiver, { path: '/isc/triggers' }))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  servers.push(server)
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/isc/triggers`
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((done) => server.close(done))
  return port
}

// Each test starts tsx processes: seconds on a busy two-core machine, so the budget is generous.
describe('isc-triggers CLI', { timeout: 60_000 }, () => {
  it('prints help (exit 0), and usage errors (exit 2)', async () => {
    const help = await cli('--help')
    expect(help.code).toBe(0)
    expect(help.out).toMatch(/Commands:[\s\S]*send[\s\S]*test-invoke/)
    for (const command of ['list', 'sample', 'send', 'test-invoke', 'filter check']) {
      const commandHelp = await cli(...command.split(' '), '--help')
      expect(commandHelp.code, command).toBe(0)
      expect(commandHelp.out).toContain(`isc-triggers ${command}`)
    }
    expect((await cli('deploy')).code).toBe(2)
    const noUrl = await cli('send', 'identity-created')
    expect(noUrl.code).toBe(2)
    expect(noUrl.err).toContain('--url is required')
    expect((await cli('sample', 'idn:nope')).err).toContain('unknown trigger')
  })

  it('lists the catalog, filtered, as a table or JSON', async () => {
    const json = await cli('list', '--json')
    expect(JSON.parse(json.out)).toHaveLength(Object.keys(catalog).length)
    const rr = await cli('list', '--type', 'request-response')
    expect(
      rr.out
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual(['idn:access-request-dynamic-approver', 'idn:access-request-pre-approval'])
    expect((await cli('list', '--search', 'machine')).out).toContain('idn:machine-identity-updated')
  })

  it('prints samples the catalog accepts', async () => {
    const input = await cli('sample', 'identity-created')
    expect(catalog['idn:identity-created'].input.safeParse(JSON.parse(input.out)).success).toBe(true)
    const output = await cli('sample', 'idn:access-request-pre-approval', '--output')
    expect(catalog['idn:access-request-pre-approval'].output.safeParse(JSON.parse(output.out)).success).toBe(
      true,
    )
    expect((await cli('sample', 'identity-created', '--output')).code).toBe(2)
  })

  it('sends a trigger like ISC (exit 0), with a file as input', async () => {
    const seen: string[] = []
    const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TOKEN] }, logger: false })
    receiver.on('idn:identity-created', (input) => {
      seen.push(input.identity.name)
    })
    const url = await serve(receiver)
    const sent = await cli('send', 'identity-created', '--url', url, '--bearer', TOKEN)
    expect(sent.code, sent.out + sent.err).toBe(0)
    expect(sent.out).toContain('idn:identity-created → 200')
    const file = join(mkdtempSync(join(tmpdir(), 'isc-cli-')), 'input.json')
    writeFileSync(
      file,
      JSON.stringify({ identity: { type: 'IDENTITY', id: '1', name: 'From A File' }, attributes: {} }),
    )
    expect(
      (await cli('send', 'identity-created', '--url', url, '--bearer', TOKEN, '--input', file)).code,
    ).toBe(0)
    expect(seen).toEqual(['Ada Lovelace', 'From A File'])
  })

  it('exits 1 on a wrong credential, showing the 401', async () => {
    const receiver = createTriggerReceiver({
      auth: { type: 'basic', credentials: [{ username: 'isc', password: 'pw' }] },
      logger: false,
    })
    receiver.on('idn:identity-created', () => {})
    const url = await serve(receiver)
    const denied = await cli('send', 'identity-created', '--url', url, '--basic', 'isc:wrong')
    expect(denied.code).toBe(1)
    expect(denied.out).toContain('→ 401')
    expect(denied.out).toContain('UNAUTHORIZED')
    expect((await cli('send', 'identity-created', '--url', url, '--basic', 'isc:pw')).code).toBe(0)
  })

  it('exits 3 when the target is down', async () => {
    const port = await freePort()
    const down = await cli('send', 'identity-created', '--url', `http://127.0.0.1:${port}/isc/triggers`)
    expect(down.code).toBe(3)
    expect(down.out).toContain('could not reach')
  })

  it('exits 3 when a SYNC handler is slower than --timeout', async () => {
    // The handler answers only when released, after the CLI has exited: no clock involved.
    let release = () => {}
    const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TOKEN] }, logger: false })
    receiver.on('idn:access-request-pre-approval', async () => {
      await new Promise<void>((done) => {
        release = done
      })
      return DECISION
    })
    const url = await serve(receiver)
    const slow = await cli(
      'send',
      'access-request-pre-approval',
      '--url',
      url,
      '--bearer',
      TOKEN,
      '--timeout',
      '400',
    )
    release()
    expect(slow.code).toBe(3)
    expect(slow.out).toContain('did not answer within 400 ms')
  })

  it('sends an ASYNC delivery, and prints the completion its local fake ISC received', async () => {
    const port = await freePort()
    const receiver = createTriggerReceiver({
      auth: { type: 'bearer', tokens: [TOKEN] },
      logger: false,
      completion: { allowedCallbackOrigins: [`http://127.0.0.1:${port}`] },
    })
    receiver.on('idn:access-request-pre-approval', async () => DECISION, { mode: 'async' })
    const url = await serve(receiver)
    const sent = await cli(
      'send',
      'access-request-pre-approval',
      '--url',
      url,
      '--bearer',
      TOKEN,
      '--mode',
      'async',
      '--isc-port',
      String(port),
    )
    expect(sent.code, sent.out + sent.err).toBe(0)
    expect(sent.out).toContain('→ 200')
    expect(sent.out).toContain('completion received')
    expect(sent.out).toContain('"approved": true')
    expect(sent.out).not.toMatch(/"secret": "(?!<secret>)/)
  })

  it('calls a tenant’s test-invocation API with a client-credentials token', async () => {
    const isc = await startFakeIsc({ clientId: 'cli-client', clientSecret: 'cli-secret' })
    try {
      const ok = await cli(
        'test-invoke',
        'identity-created',
        '--tenant',
        isc.origin,
        '--client-id',
        'cli-client',
        '--client-secret',
        'cli-secret',
      )
      expect(ok.code, ok.out + ok.err).toBe(0)
      expect(ok.out).toContain('test invocation → 200')
      expect(isc.testInvocations).toEqual([{ triggerId: 'idn:identity-created', contentJson: {} }])
      expect(isc.tokenRequests[0]).toMatchObject({
        grant_type: 'client_credentials',
        client_id: 'cli-client',
      })
      const refused = await cli(
        'test-invoke',
        'identity-created',
        '--tenant',
        isc.origin,
        '--client-id',
        'cli-client',
        '--client-secret',
        'nope',
      )
      expect(refused.code).toBe(1)
      expect(refused.out).toContain('refused the client credentials (401)')
    } finally {
      await isc.close()
    }
  })

  it('checks a filter: exit 0 on a match, 1 on no match, 2 on a filter that does not parse', async () => {
    const filter = "$.changes[?(@.attribute == 'department')].newValue"
    const match = await cli('filter', 'check', '--filter', filter, '--sample', 'identity-attributes-changed')
    expect(match.code, match.err).toBe(0)
    expect(match.out).toBe('match: the filter selects 1 node\n[\n  "Engineering"\n]\n')
    const none = await cli(
      'filter',
      'check',
      '--filter',
      "$[?(@.identity.name == 'x')]",
      '--sample',
      'identity-created',
    )
    expect(none.code).toBe(1)
    expect(none.out).toBe('no match: ISC would not deliver this event\n')
    const broken = await cli('filter', 'check', '--filter', '$[?(@.a ==', '--sample', 'identity-created')
    expect(broken.code).toBe(2)
    expect(broken.err).toContain('--filter is not JSONPath')
  })

  it('knows every catalog trigger', async () => {
    const listed = JSON.parse((await cli('list', '--json')).out) as { id: string }[]
    expect(listed.map((t) => t.id).sort()).toEqual(
      Object.values(catalog as Record<string, AnyTrigger>)
        .map((t) => t.id)
        .sort(),
    )
  })
})
