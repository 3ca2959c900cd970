import { afterEach, describe, expect, it } from 'vitest'
import { type FakeIsc, startFakeIsc } from '../fake-isc.js'
import {
  applySubscriptions,
  planSubscriptions,
  resolveSubscriptions,
  SubscriptionsError,
  type SubscriptionsFile,
  tenantClient,
} from './index.js'

// The library behind `isc-triggers subscriptions`, end to end against the fake ISC's API.

const BASE = 'https://hooks.example/isc/triggers'
const CREATED = 'idn:identity-created'
const PRE_APPROVAL = 'idn:access-request-pre-approval'

let isc: FakeIsc | undefined
afterEach(async () => {
  await isc?.close()
  isc = undefined
})

async function tenant() {
  isc = await startFakeIsc({ clientId: 'id', clientSecret: 'secret' })
  return { isc, client: tenantClient({ tenant: isc.origin, clientId: 'id', clientSecret: 'secret' }) }
}

const file = (subscriptions: SubscriptionsFile['subscriptions']): SubscriptionsFile => ({
  baseUrl: BASE,
  subscriptions,
})
const twoSubscriptions = file([
  {
    trigger: CREATED,
    auth: { type: 'bearer', tokenEnv: 'HOOK_TOKEN' },
    filter: "$[?($.identity.name == 'x')]",
  },
  {
    trigger: PRE_APPROVAL,
    mode: 'async',
    responseDeadline: 'PT2H',
    auth: { type: 'bearer', tokenEnv: 'HOOK_TOKEN' },
  },
])
const env = { HOOK_TOKEN: 'token-1' }

const summary = (changes: { action: string; triggerId: string }[]) =>
  changes.map((c) => `${c.action} ${c.triggerId}`)

describe('planSubscriptions and applySubscriptions against the fake ISC', () => {
  it('plans creations on an empty tenant, applies them, then plans no change', async () => {
    const { isc, client } = await tenant()
    const desired = resolveSubscriptions(twoSubscriptions, env)
    const plan = await planSubscriptions(desired, client)
    expect(summary(plan.changes)).toEqual([`create ${CREATED}`, `create ${PRE_APPROVAL}`])
    const applied = await applySubscriptions(plan, client)
    expect(applied.map((a) => a.action)).toEqual(['create', 'create'])
    const stored = isc.subscriptions
    expect(stored.map((s) => [s.name, s.httpConfig?.url, s.httpConfig?.httpDispatchMode])).toEqual([
      [`isc-triggers:${CREATED}`, `${BASE}/identity-created`, 'SYNC'],
      [`isc-triggers:${PRE_APPROVAL}`, `${BASE}/access-request-pre-approval`, 'ASYNC'],
    ])
    expect(stored[1]!.responseDeadline).toBe('PT2H')
    expect(stored[0]!.filter).toBe("$[?($.identity.name == 'x')]")
    expect(stored[0]!.httpConfig?.bearerTokenAuthConfig?.bearerToken).toBe('token-1')
    expect(stored.map((s) => s.id)).toEqual(applied.map((a) => a.id))
    const again = await planSubscriptions(desired, client)
    expect(again.changes).toEqual([])
    expect(again.unchanged).toBe(2)
  })

  it('updates a changed subscription in place (same id) and deletes one left out of the file', async () => {
    const { isc, client } = await tenant()
    await applySubscriptions(
      await planSubscriptions(resolveSubscriptions(twoSubscriptions, env), client),
      client,
    )
    const [created] = isc.subscriptions
    const changed = file([
      { trigger: CREATED, auth: { type: 'bearer', tokenEnv: 'HOOK_TOKEN' }, filter: '$.identity' },
    ])
    const plan = await planSubscriptions(resolveSubscriptions(changed, env), client)
    expect(summary(plan.changes)).toEqual([`delete ${PRE_APPROVAL}`, `update ${CREATED}`])
    expect(plan.changes[1]).toMatchObject({ changed: ['filter'] })
    const applied = await applySubscriptions(plan, client)
    expect(applied[1]).toMatchObject({ action: 'update', id: created!.id })
    expect(isc.subscriptions.map((s) => [s.id, s.filter])).toEqual([[created!.id, '$.identity']])
    expect((await planSubscriptions(resolveSubscriptions(changed, env), client)).changes).toEqual([])
  })

  it('detects a token change through the hash in the description and sends the new token', async () => {
    const { isc, client } = await tenant()
    await applySubscriptions(
      await planSubscriptions(resolveSubscriptions(twoSubscriptions, env), client),
      client,
    )
    const ids = isc.subscriptions.map((s) => s.id)
    expect(JSON.stringify(isc.subscriptions.map((s) => s.description))).not.toContain('token-1')
    const rotated = resolveSubscriptions(twoSubscriptions, { HOOK_TOKEN: 'token-2' })
    const plan = await planSubscriptions(rotated, client)
    expect(summary(plan.changes)).toEqual([`update ${CREATED}`, `update ${PRE_APPROVAL}`])
    expect(plan.changes.map((c) => (c.action === 'update' ? c.changed : []))).toEqual([
      ['credentials'],
      ['credentials'],
    ])
    await applySubscriptions(plan, client)
    expect(isc.subscriptions.map((s) => [s.id, s.httpConfig?.bearerTokenAuthConfig?.bearerToken])).toEqual([
      [ids[0], 'token-2'],
      [ids[1], 'token-2'],
    ])
    expect((await planSubscriptions(rotated, client)).changes).toEqual([])
  })

  it('leaves a subscription it does not manage untouched', async () => {
    const { isc, client } = await tenant()
    const other = await client.create({
      name: 'hand-made',
      description: 'clicked together',
      triggerId: CREATED,
      type: 'HTTP',
      enabled: true,
      responseDeadline: 'PT1H',
      httpConfig: {
        url: 'https://elsewhere.example/hook',
        httpDispatchMode: 'SYNC',
        httpAuthenticationType: 'NO_AUTH',
        basicAuthConfig: null,
        bearerTokenAuthConfig: null,
      },
    })
    const before = isc.subscriptions
    const plan = await planSubscriptions(resolveSubscriptions(file([]), env), client)
    expect(plan.changes).toEqual([])
    expect(plan.unmanaged).toBe(1)
    await applySubscriptions(
      await planSubscriptions(resolveSubscriptions(twoSubscriptions, env), client),
      client,
    )
    expect(isc.subscriptions.find((s) => s.id === other.id)).toEqual(before[0])
    expect(isc.subscriptions).toHaveLength(3)
  })

  it('deletes a second managed subscription of the same name and keeps the first', async () => {
    const { isc, client } = await tenant()
    const desired = resolveSubscriptions(file([{ trigger: CREATED, auth: { type: 'none' } }]), env)
    const first = await client.create(desired[0]!.body)
    const copy = await client.create(desired[0]!.body)
    const plan = await planSubscriptions(desired, client)
    expect(plan.changes).toMatchObject([{ action: 'delete', id: copy.id }])
    await applySubscriptions(plan, client)
    expect(isc.subscriptions.map((s) => s.id)).toEqual([first.id])
  })

  it('refuses a second subscription to a request-response trigger in the file', () => {
    const second = file([
      { trigger: PRE_APPROVAL, auth: { type: 'none' } },
      { trigger: PRE_APPROVAL, name: 'second', auth: { type: 'none' } },
    ])
    expect(() => resolveSubscriptions(second, env)).toThrow(
      /idn:access-request-pre-approval is a request-response trigger: ISC allows exactly one subscription/,
    )
    const twoFireAndForget = file([
      { trigger: CREATED, auth: { type: 'none' } },
      { trigger: CREATED, name: 'second', auth: { type: 'none' } },
    ])
    expect(resolveSubscriptions(twoFireAndForget, env)).toHaveLength(2)
  })

  it('refuses a request-response trigger that already has an unmanaged subscription, before changing anything', async () => {
    const { isc, client } = await tenant()
    await client.create({
      name: 'hand-made',
      description: '',
      triggerId: PRE_APPROVAL,
      type: 'HTTP',
      enabled: true,
      responseDeadline: 'PT1H',
      httpConfig: {
        url: 'https://elsewhere.example/hook',
        httpDispatchMode: 'SYNC',
        httpAuthenticationType: 'NO_AUTH',
        basicAuthConfig: null,
        bearerTokenAuthConfig: null,
      },
    })
    const error = await planSubscriptions(resolveSubscriptions(twoSubscriptions, env), client).catch((e) => e)
    expect(error).toBeInstanceOf(SubscriptionsError)
    expect(error.message).toMatch(/already has a subscription not managed by isc-triggers \("hand-made"/)
    expect(isc.subscriptions).toHaveLength(1)
  })

  it('takes secrets from the env vars the file names, and refuses a missing one', () => {
    const [desired] = resolveSubscriptions(twoSubscriptions, env)
    expect(desired!.body.httpConfig.bearerTokenAuthConfig).toEqual({ bearerToken: 'token-1' })
    expect(() => resolveSubscriptions(twoSubscriptions, {})).toThrow(
      /env var HOOK_TOKEN \(auth.tokenEnv\) is not set/,
    )
  })

  it('reports an unreachable tenant and refused credentials by kind', async () => {
    const { isc } = await tenant()
    const wrong = tenantClient({ tenant: isc.origin, clientId: 'id', clientSecret: 'wrong' })
    await expect(wrong.list()).rejects.toMatchObject({ kind: 'tenant' })
    const origin = isc.origin
    await isc.close()
    await expect(
      tenantClient({ tenant: origin, clientId: 'id', clientSecret: 'secret' }).list(),
    ).rejects.toMatchObject({
      kind: 'unreachable',
    })
  })
})
