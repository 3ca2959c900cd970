import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type FakeIsc, startFakeIsc } from '../fake-isc.js'
import { sampleInput } from '../sample-builders.js'
import { SubscriptionsError, validateFilterOnTenant } from '../subscriptions/index.js'
import { runCli } from './run-in-process.test-helper.js'

// `isc-triggers filter validate` against the fake ISC's validate-filter: in process, and once as a
// process the way a user runs it.
const ROOT = resolve(import.meta.dirname, '../../../..')
const CLI = resolve(import.meta.dirname, '../cli.ts')
const SECRET = 'validate-secret-9f2c'
const DEPARTMENT = "$.changes[?(@.attribute == 'department')]"
const UNPARSABLE = '$.changes[?(@.attribute == '

let isc: FakeIsc | undefined
beforeEach(async () => {
  // The tenant options fall back to these env vars: none may leak in from the machine.
  vi.stubEnv('ISC_TENANT', '')
  vi.stubEnv('ISC_CLIENT_ID', '')
  vi.stubEnv('ISC_CLIENT_SECRET', '')
  isc = await startFakeIsc({ clientId: 'id', clientSecret: SECRET })
})
afterEach(async () => {
  vi.unstubAllEnvs()
  await isc?.close()
  isc = undefined
})

const run = runCli

const tenant = (secret = SECRET) => ['--tenant', isc!.origin, '--client-id', 'id', '--client-secret', secret]

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'isc-validate-')), 'input.json')
  writeFileSync(path, text)
  return path
}

describe('isc-triggers filter validate', () => {
  it('exits 0 when the tenant finds the filter valid, and says it selects something', async () => {
    const valid = await run(
      'filter',
      'validate',
      '--filter',
      DEPARTMENT,
      '--sample',
      'identity-attributes-changed',
      ...tenant(),
    )
    expect(valid).toMatchObject({ code: 0, err: '' })
    expect(valid.out).toContain(`valid: ${isc!.origin} accepts the filter`)
    expect(valid.out).toContain('isValidJSONPath: true')
    expect(valid.out).toContain('isPathExist: true (it selects something: ISC would deliver this event)')
    expect(valid.out).not.toContain(SECRET)
  })

  it('exits 1 on a filter the tenant cannot parse, showing isValidJSONPath false', async () => {
    const input = file(JSON.stringify(sampleInput('idn:identity-attributes-changed')))
    const invalid = await run('filter', 'validate', '--filter', UNPARSABLE, '--input', input, ...tenant())
    expect(invalid.code).toBe(1)
    expect(invalid.out).toContain('not valid:')
    expect(invalid.out).toContain('isValidJSONPath: false (ISC cannot parse the filter)')
    expect(invalid.out).not.toContain('isPathExist')
  })

  it('exits 1 on a filter that parses but selects nothing in the input', async () => {
    const input = file(JSON.stringify({ changes: [{ attribute: 'email' }] }))
    const dropped = await run('filter', 'validate', '--filter', DEPARTMENT, '--input', input, ...tenant())
    expect(dropped.code).toBe(1)
    expect(dropped.out).toContain('isValidJSONPath: true')
    expect(dropped.out).toContain('isPathExist: false (it selects nothing: ISC would drop this event)')
  })

  it('prints the tenant answer as JSON with --json', async () => {
    const args = ['--sample', 'identity-attributes-changed', ...tenant(), '--json']
    const valid = await run('filter', 'validate', '--filter', DEPARTMENT, ...args)
    expect(valid.code).toBe(0)
    expect(JSON.parse(valid.out)).toEqual({ isValid: true, isValidJSONPath: true, isPathExist: true })
    const invalid = await run('filter', 'validate', '--filter', UNPARSABLE, ...args)
    expect(invalid.code).toBe(1)
    expect(JSON.parse(invalid.out)).toEqual({ isValid: false, isValidJSONPath: false, isPathExist: false })
  })

  it('exits 2 without --tenant, without an input, or with an --input that is not JSON, before any call', async () => {
    const noTenant = await run(
      'filter',
      'validate',
      '--filter',
      DEPARTMENT,
      '--sample',
      'identity-attributes-changed',
      '--client-id',
      'id',
      '--client-secret',
      SECRET,
    )
    expect(noTenant.code).toBe(2)
    expect(noTenant.err).toContain('--tenant (or ISC_TENANT) required')
    expect(noTenant.err).not.toContain(SECRET)
    const noInput = await run('filter', 'validate', '--filter', DEPARTMENT, ...tenant())
    expect(noInput.code).toBe(2)
    expect(noInput.err).toContain('give one input: --input FILE or --sample TRIGGER')
    const notJson = await run('filter', 'validate', '--filter', DEPARTMENT, '--input', file('{'), ...tenant())
    expect(notJson.code).toBe(2)
    expect(notJson.err).toContain('is not JSON')
    expect(isc!.tokenRequests).toHaveLength(0)
  })

  it('takes the tenant and client credentials from ISC_TENANT, ISC_CLIENT_ID, ISC_CLIENT_SECRET', async () => {
    vi.stubEnv('ISC_TENANT', isc!.origin)
    vi.stubEnv('ISC_CLIENT_ID', 'id')
    vi.stubEnv('ISC_CLIENT_SECRET', SECRET)
    const valid = await run(
      'filter',
      'validate',
      '--filter',
      DEPARTMENT,
      '--sample',
      'identity-attributes-changed',
    )
    expect(valid.code).toBe(0)
  })

  it("exits 1 with the tenant's refusal on a wrong client secret, which it never prints", async () => {
    const refused = await run(
      'filter',
      'validate',
      '--filter',
      DEPARTMENT,
      '--sample',
      'identity-attributes-changed',
      ...tenant('wrong-secret-71ab'),
    )
    expect(refused.code).toBe(1)
    expect(refused.out).toContain('the tenant refused the client credentials → 401')
    expect(refused.out).not.toContain('wrong-secret-71ab')
  })

  it('exits 3 when the tenant cannot be reached', async () => {
    const origin = isc!.origin
    await isc!.close()
    isc = undefined
    const down = await run(
      'filter',
      'validate',
      '--filter',
      DEPARTMENT,
      '--sample',
      'identity-attributes-changed',
      '--tenant',
      origin,
      '--client-id',
      'id',
      '--client-secret',
      SECRET,
    )
    expect(down.code).toBe(3)
    expect(down.out).toContain(`could not reach ${origin}`)
    expect(down.out).not.toContain(SECRET)
  })
})

describe('validateFilterOnTenant', () => {
  it("answers the tenant's validate-filter, and throws a SubscriptionsError on a refusal", async () => {
    const options = { tenant: isc!.origin, clientId: 'id', clientSecret: SECRET }
    const input = sampleInput('idn:identity-attributes-changed')
    await expect(validateFilterOnTenant(DEPARTMENT, input, options)).resolves.toEqual({
      isValid: true,
      isValidJSONPath: true,
      isPathExist: true,
    })
    await expect(validateFilterOnTenant(UNPARSABLE, input, options)).resolves.toMatchObject({
      isValidJSONPath: false,
    })
    const refusal = await validateFilterOnTenant(DEPARTMENT, input, { ...options, clientSecret: 'no' }).catch(
      (error: unknown) => error,
    )
    expect(refusal).toBeInstanceOf(SubscriptionsError)
    expect(refusal).toMatchObject({ kind: 'tenant' })
  })
})

// Spawns the command (tsx compiles on start): a timeout far above any machine's pace.
describe('isc-triggers filter validate, as a process', { timeout: 120_000 }, () => {
  it('exits 0 on a valid filter and 1 on an unparsable one', async () => {
    async function cli(...args: string[]) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--conditions=@isc-triggers/source', CLI, ...args],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let out = ''
      child.stdout.on('data', (chunk) => {
        out += chunk
      })
      const [code] = (await once(child, 'exit')) as [number]
      return { code, out }
    }
    const common = ['--sample', 'identity-attributes-changed', ...tenant()]
    const valid = await cli('filter', 'validate', '--filter', DEPARTMENT, ...common)
    expect(valid.code).toBe(0)
    expect(valid.out).toContain('isPathExist: true')
    const invalid = await cli('filter', 'validate', '--filter', UNPARSABLE, ...common, '--json')
    expect(invalid.code).toBe(1)
    expect(JSON.parse(invalid.out)).toMatchObject({ isValid: false, isValidJSONPath: false })
  })
})
