import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type FakeIsc, startFakeIsc } from '../fake-isc.js'

// `isc-triggers subscriptions plan|apply|list`, run as a process against the fake ISC, the way a
// CI job runs it.
const ROOT = resolve(import.meta.dirname, '../../../..')
const CLI = resolve(import.meta.dirname, '../cli.ts')
const CREATED = 'idn:identity-created'
const PRE_APPROVAL = 'idn:access-request-pre-approval'

let isc: FakeIsc | undefined
afterEach(async () => {
  await isc?.close()
  isc = undefined
})

async function cli(env: Record<string, string>, ...args: string[]) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@isc-triggers/source', CLI, ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
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

function configFile(subscriptions: unknown[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'isc-subs-')), 'subscriptions.json')
  writeFileSync(path, JSON.stringify({ baseUrl: 'https://hooks.example/isc/triggers', subscriptions }))
  return path
}

const bearer = { type: 'bearer', tokenEnv: 'HOOK_TOKEN' }

async function tenant() {
  isc = await startFakeIsc({ clientId: 'id', clientSecret: 'secret' })
  return { ISC_TENANT: isc.origin, ISC_CLIENT_ID: 'id', ISC_CLIENT_SECRET: 'secret', HOOK_TOKEN: 'token-1' }
}

// Each case spawns several processes (tsx compiles on start): a timeout far above any machine's pace.
describe('isc-triggers subscriptions', { timeout: 120_000 }, () => {
  it('plans, applies, plans no change, then plans and applies an update in place and a deletion', async () => {
    const env = await tenant()
    const config = configFile([
      { trigger: CREATED, auth: bearer },
      { trigger: PRE_APPROVAL, mode: 'async', auth: bearer },
    ])
    const first = await cli(env, 'subscriptions', 'plan', '--config', config, '--exit-code')
    expect(first.code).toBe(1)
    expect(first.out).toContain(`create ${CREATED}`)
    expect(first.out).toContain(`create ${PRE_APPROVAL}`)
    expect(isc!.subscriptions).toEqual([])
    const applied = await cli(env, 'subscriptions', 'apply', '--config', config)
    expect(applied).toMatchObject({ code: 0, err: '' })
    expect(applied.out).toContain(`created ${CREATED}`)
    expect(applied.out).not.toContain('token-1')
    const ids = isc!.subscriptions.map((s) => s.id)
    expect(ids).toHaveLength(2)
    const same = await cli(env, 'subscriptions', 'plan', '--config', config, '--exit-code')
    expect(same.code).toBe(0)
    expect(same.out).toMatch(/^No change/)

    const changed = configFile([{ trigger: CREATED, auth: bearer, filter: '$.identity' }])
    const drift = await cli(env, 'subscriptions', 'plan', '--config', changed, '--json')
    expect(drift.code).toBe(0)
    expect(JSON.parse(drift.out)).toMatchObject({
      drift: true,
      changes: [
        { action: 'delete', triggerId: PRE_APPROVAL, id: ids[1] },
        { action: 'update', triggerId: CREATED, id: ids[0], changed: ['filter'] },
      ],
    })
    const update = await cli(env, 'subscriptions', 'apply', '--config', changed, '--json')
    expect(update.code).toBe(0)
    expect(
      JSON.parse(update.out).applied.map((a: { action: string; id: string }) => [a.action, a.id]),
    ).toEqual([
      ['delete', ids[1]],
      ['update', ids[0]],
    ])
    expect(isc!.subscriptions.map((s) => [s.id, s.filter])).toEqual([[ids[0], '$.identity']])

    const rotated = await cli({ ...env, HOOK_TOKEN: 'token-2' }, 'subscriptions', 'plan', '--config', changed)
    expect(rotated.out).toContain(`update ${CREATED} (isc-triggers:${CREATED}, ${ids[0]}): credentials`)
  })

  it('lists the tenant’s subscriptions, managed or not', async () => {
    const env = await tenant()
    await cli(env, 'subscriptions', 'apply', '--config', configFile([{ trigger: CREATED, auth: bearer }]))
    const listed = await cli(env, 'subscriptions', 'list', '--json')
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.out)).toMatchObject([{ name: `isc-triggers:${CREATED}`, triggerId: CREATED }])
    const text = await cli(env, 'subscriptions', 'list')
    expect(text.out).toMatch(
      new RegExp(
        `${CREATED}\\s+isc-triggers:${CREATED}\\s+SYNC\\s+https://hooks.example/isc/triggers/identity-created\\s+managed`,
      ),
    )
  })

  it('refuses a second request-response subscription in the file as a usage error, before calling the tenant', async () => {
    const env = await tenant()
    const config = configFile([
      { trigger: PRE_APPROVAL, auth: bearer },
      { trigger: PRE_APPROVAL, name: 'again', auth: bearer },
    ])
    const refused = await cli(env, 'subscriptions', 'apply', '--config', config)
    expect(refused.code).toBe(2)
    expect(refused.err).toContain('ISC allows exactly one subscription')
    expect(isc!.tokenRequests).toEqual([])
  })

  it('exits 3 when the tenant cannot be reached', async () => {
    const env = await tenant()
    await isc!.close()
    isc = undefined
    const config = configFile([{ trigger: CREATED, auth: bearer }])
    const result = await cli(env, 'subscriptions', 'plan', '--config', config)
    expect(result.code).toBe(3)
    expect(result.out).toContain('could not reach')
  })
})
