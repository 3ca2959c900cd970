// Next.js is not installed (too heavy for CI): these tests call the route handlers the way Next's
// App Router does, with a Web Request and, for the dynamic segment, `params` as a Promise.
import { sampleInput } from '@isc-triggers/testing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

type TriggerRoute = typeof import('./app/isc/triggers/[trigger]/route')
type MountRoute = typeof import('./app/isc/triggers/route')
type ReceiverModule = typeof import('./receiver')

const token = 'recipe-test-token'
// Each test loads fresh copies of the routes and of receiver.ts (its own receiver and journal),
// as a new Next process would, and closes that receiver after it.
let route: TriggerRoute
let mountRoute: MountRoute
let next: ReceiverModule
beforeEach(async () => {
  vi.resetModules()
  // Loading the routes must not need ISC_TOKEN (next build does it): it is set only once loaded.
  vi.stubEnv('ISC_TOKEN', undefined)
  route = await import('./app/isc/triggers/[trigger]/route')
  mountRoute = await import('./app/isc/triggers/route')
  next = await import('./receiver')
  vi.stubEnv('ISC_TOKEN', token)
})
afterEach(async () => {
  await next.closeTriggerReceivers()
  vi.unstubAllEnvs()
})

function request(path: string, body: unknown, bearer = token): Request {
  return new Request(`http://localhost:3000${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}
const params = (trigger: string) => ({ params: Promise.resolve({ trigger }) })

describe('the Next.js route handler recipe', () => {
  it('runs on the Node.js runtime', () => {
    expect(route.runtime).toBe('nodejs')
    expect(mountRoute.runtime).toBe('nodejs')
  })

  it('exports only POST: Next answers other methods itself, as the README says', () => {
    for (const each of [route, mountRoute]) expect(Object.keys(each).sort()).toEqual(['POST', 'runtime'])
  })

  it('runs a fire-and-forget handler and answers 200 {}', async () => {
    const input = sampleInput('idn:identity-created', { identity: { name: 'Dorothy Vaughan' } })
    const response = await route.POST(
      request('/isc/triggers/identity-created', input),
      params('identity-created'),
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({})
    expect(next.journal.welcomed).toEqual(['Dorothy Vaughan'])
  })

  it('answers a SYNC pre-approval with the handler’s decision, by segment or by _metadata.triggerId', async () => {
    const input = sampleInput('idn:access-request-pre-approval', { accessRequestId: 'ar-next-1' })
    const approved = await route.POST(
      request('/isc/triggers/access-request-pre-approval', input),
      params('access-request-pre-approval'),
    )
    expect(approved.status).toBe(200)
    expect(await approved.json()).toMatchObject({ approved: true, approver: 'svc-access-policy' })

    const admin = sampleInput('idn:access-request-pre-approval', {
      accessRequestId: 'ar-next-2',
      requestedItems: [{ id: 'role-1', name: 'Billing Admin', type: 'ROLE', operation: 'Add' }],
    })
    const _metadata = { triggerId: 'idn:access-request-pre-approval', responseMode: 'SYNC' }
    const denied = await mountRoute.POST(request('/isc/triggers', { ...admin, _metadata }))
    expect(denied.status).toBe(200)
    expect(await denied.json()).toMatchObject({ approved: false })
    expect(next.journal.decisions).toEqual([
      { accessRequestId: 'ar-next-1', approved: true },
      { accessRequestId: 'ar-next-2', approved: false },
    ])
  })

  it('refuses a wrong token (401) and an invalid payload (400) in core’s error format', async () => {
    const input = sampleInput('idn:identity-created')
    const unauthorized = await route.POST(
      request('/isc/triggers/identity-created', input, 'nope'),
      params('identity-created'),
    )
    expect(unauthorized.status).toBe(401)
    expect(await unauthorized.json()).toEqual({
      error: { code: 'UNAUTHORIZED', message: expect.any(String) },
    })

    const invalid = await route.POST(
      request('/isc/triggers/identity-created', { ...input, identity: 'Ada' }),
      params('identity-created'),
    )
    expect(invalid.status).toBe(400)
    const body = (await invalid.json()) as { error: { code: string; issues: { path: string }[] } }
    expect(body.error.code).toBe('INVALID_PAYLOAD')
    expect(body.error.issues.map((issue) => issue.path)).toContain('identity')
    expect(next.journal.welcomed).toEqual([])
  })

  it('creates the receiver once, and closeTriggerReceivers() from another copy of the module closes it', async () => {
    const receiver = next.triggerReceiver()
    expect(next.triggerReceiver()).toBe(receiver)
    // instrumentation.ts may get its own copy of receiver.ts: it still reaches this receiver.
    vi.resetModules()
    const copy = await import('./receiver')
    expect(copy.triggerReceiver).not.toBe(next.triggerReceiver)
    await copy.closeTriggerReceivers()
    const after = await route.POST(
      request('/isc/triggers/identity-created', sampleInput('idn:identity-created')),
      params('identity-created'),
    )
    expect(after.status).toBe(503)
  })
})
