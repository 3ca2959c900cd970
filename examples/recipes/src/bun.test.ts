// Bun is not installed here: Bun.serve calls the default export's fetch with a Web Request, and
// so does this test, under Node.
import { sampleInput } from '@isc-triggers/testing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const token = 'recipe-test-token'
// Each test loads its own copy of the module: its own receiver and journal, closed after it.
let recipe: typeof import('./bun.js')
beforeEach(async () => {
  vi.resetModules()
  // The module builds its receiver from ISC_TOKEN when it loads, as `bun run` would.
  vi.stubEnv('ISC_TOKEN', token)
  recipe = await import('./bun.js')
  vi.unstubAllEnvs()
})
afterEach(async () => {
  await recipe.shutdown()
})

function send(path: string, body: unknown, bearer = token): Promise<Response> {
  return recipe.default.fetch(
    new Request(`http://localhost:3000${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  )
}

describe('the Bun recipe’s default export', () => {
  it('is what Bun.serve takes: a port and a fetch handler', () => {
    expect(recipe.default).toEqual({ port: expect.any(Number), fetch: expect.any(Function) })
  })

  it('runs a fire-and-forget handler and answers 200 {}', async () => {
    const input = sampleInput('idn:identity-created', { identity: { name: 'Mary Jackson' } })
    const response = await send('/isc/triggers/identity-created', input)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({})
    expect(recipe.journal.welcomed).toEqual(['Mary Jackson'])
  })

  it('answers a SYNC pre-approval with the handler’s decision, by segment or by _metadata.triggerId', async () => {
    const input = sampleInput('idn:access-request-pre-approval', { accessRequestId: 'ar-bun-1' })
    const approved = await send('/isc/triggers/idn%3Aaccess-request-pre-approval', input)
    expect(approved.status).toBe(200)
    expect(await approved.json()).toMatchObject({ approved: true, approver: 'svc-access-policy' })

    const admin = sampleInput('idn:access-request-pre-approval', {
      accessRequestId: 'ar-bun-2',
      requestedItems: [{ id: 'role-1', name: 'Domain Admin', type: 'ROLE', operation: 'Add' }],
    })
    const _metadata = { triggerId: 'idn:access-request-pre-approval', responseMode: 'SYNC' }
    const denied = await send('/isc/triggers', { ...admin, _metadata })
    expect(denied.status).toBe(200)
    expect(await denied.json()).toMatchObject({ approved: false })
    expect(recipe.journal.decisions).toEqual([
      { accessRequestId: 'ar-bun-1', approved: true },
      { accessRequestId: 'ar-bun-2', approved: false },
    ])
  })

  it('refuses a wrong token (401) and an invalid payload (400) in core’s error format', async () => {
    const input = sampleInput('idn:identity-created')
    const unauthorized = await send('/isc/triggers/identity-created', input, 'nope')
    expect(unauthorized.status).toBe(401)
    expect(await unauthorized.json()).toEqual({
      error: { code: 'UNAUTHORIZED', message: expect.any(String) },
    })

    const invalid = await send('/isc/triggers/identity-created', { ...input, identity: 'Ada' })
    expect(invalid.status).toBe(400)
    const body = (await invalid.json()) as { error: { code: string; issues: { path: string }[] } }
    expect(body.error.code).toBe('INVALID_PAYLOAD')
    expect(body.error.issues.map((issue) => issue.path)).toContain('identity')
    expect(recipe.journal.welcomed).toEqual([])
  })

  it('routes only its own paths to the receiver', async () => {
    const get = (path: string) => recipe.default.fetch(new Request(`http://localhost:3000${path}`))
    expect(await (await get('/health')).json()).toEqual({ ok: true })
    expect((await get('/elsewhere')).status).toBe(404)
    const wrongMethod = await get('/isc/triggers/identity-created')
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('POST')
  })

  it('takes the trigger from the URL with core’s triggerSegment: a malformed segment is not a throw', async () => {
    const input = sampleInput('idn:identity-created', { identity: { name: 'Trailing Slash' } })
    expect((await send('/isc/triggers/identity-created/?source=isc', input)).status).toBe(200)
    expect(recipe.journal.welcomed).toEqual(['Trailing Slash'])

    // Not the receiver's: invalid percent-encoding, a nested path, a longer name. The app's 404.
    for (const path of ['/isc/triggers/%E0%A4%A', '/isc/triggers/identity-created/x', '/isc/triggersx']) {
      const response = await send(path, input)
      expect(response.status).toBe(404)
      expect(await response.text()).toBe('Not Found')
    }
    expect(recipe.journal.welcomed).toEqual(['Trailing Slash'])

    // The mount path itself, with a slash: the receiver, which wants _metadata.triggerId.
    const unnamed = await send('/isc/triggers/', input)
    expect(unnamed.status).toBe(404)
    expect(await unnamed.json()).toMatchObject({ error: { code: 'UNKNOWN_TRIGGER' } })
  })

  it('shutdown() closes the receiver: later deliveries get 503', async () => {
    await recipe.shutdown()
    const after = await send('/isc/triggers/identity-created', sampleInput('idn:identity-created'))
    expect(after.status).toBe(503)
  })
})
