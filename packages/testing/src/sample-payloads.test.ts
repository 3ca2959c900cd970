import { type AnyTrigger, catalog, createTriggerReceiver, type TriggerId } from '@isc-triggers/core'
import { describe, expect, it } from 'vitest'
import type { ZodObject } from 'zod'
import { sampleInput, sampleOutput } from './sample-builders.js'
import { sampleInputs } from './sample-payloads.js'

const triggers = Object.values(catalog as Record<string, AnyTrigger>)
const headers = { 'content-type': 'application/json' }

/**
 * The top-level fields a trigger's schema requires (those it rejects when undefined); undefined
 * for an input that is not one object schema (native change accepts two shapes).
 */
function requiredFields(trigger: AnyTrigger): string[] | undefined {
  const shape = (trigger.input as unknown as Partial<ZodObject>).shape
  if (!shape) return undefined
  return Object.entries(shape)
    .filter(([, field]) => !field.safeParse(undefined).success)
    .map(([name]) => name)
}

function receiverFor(trigger: AnyTrigger) {
  const receiver = createTriggerReceiver({ auth: { type: 'none' }, logger: false })
  const id = trigger.id as TriggerId
  if (trigger.type === 'request-response')
    receiver.on(trigger, () => sampleOutput(id as 'idn:access-request-pre-approval'))
  else receiver.on(trigger, () => {})
  return receiver
}

describe('samples', () => {
  it('exist for exactly the catalog triggers', () => {
    expect(Object.keys(sampleInputs).sort()).toEqual(Object.keys(catalog).sort())
  })

  it.each(triggers)('$id: the sample is received (200)', async (trigger) => {
    const reply = await receiverFor(trigger).handle({
      method: 'POST',
      headers,
      body: JSON.stringify(sampleInput(trigger.id as TriggerId)),
      trigger: trigger.id,
    })
    expect(reply.status, reply.body).toBe(200)
  })

  it('only the triggers whose SailPoint schema requires nothing require no field', () => {
    const none = triggers.filter((trigger) => requiredFields(trigger)?.length === 0).map(({ id }) => id)
    expect(none.sort()).toEqual([
      'idn:ciem-auto-include-scope-setting-changed',
      'idn:ciem-new-scope-detected',
      'idn:ciem-scope-selection-changed',
      'idn:sod-violation-closed',
      'idn:sod-violation-created',
      'idn:sod-violation-mitigated',
      'idn:sod-violation-reopened',
    ])
  })

  const withRequired = triggers.filter((trigger) => (requiredFields(trigger)?.length ?? 0) > 0)
  it.each(withRequired)('$id: each missing required top-level field is a 400 naming it', async (trigger) => {
    const receiver = receiverFor(trigger)
    for (const field of requiredFields(trigger) ?? []) {
      const payload: Record<string, unknown> = sampleInput(trigger.id as TriggerId)
      delete payload[field]
      const reply = await receiver.handle({
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        trigger: trigger.id,
      })
      expect(reply.status, field).toBe(400)
      expect(JSON.parse(reply.body).error.issues).toContainEqual(expect.objectContaining({ path: field }))
    }
  })

  it('a native change payload that fits neither accepted shape is a 400', async () => {
    const trigger = catalog['idn:native-change-account-updated']
    const payload: Record<string, unknown> = sampleInput(trigger.id)
    delete payload.account
    const reply = await receiverFor(trigger).handle({
      method: 'POST',
      headers,
      body: JSON.stringify(payload),
      trigger: trigger.id,
    })
    expect(reply.status).toBe(400)
  })
})

describe('sampleInput / sampleOutput', () => {
  it('deep-merges overrides into a fresh copy', () => {
    const first = sampleInput('idn:identity-created', { identity: { name: 'Katherine Johnson' } })
    expect(first.identity).toMatchObject({ name: 'Katherine Johnson', type: 'IDENTITY' })
    first.attributes.mutated = true
    expect(sampleInput('idn:identity-created').attributes).not.toHaveProperty('mutated')
    expect(sampleInput('idn:identity-created').identity.name).toBe('Ada Lovelace')
  })

  it('replaces arrays instead of merging them', () => {
    const input = sampleInput('idn:access-request-pre-approval', {
      requestedItems: [{ id: 'x', name: 'Prod Admin', type: 'ROLE', operation: 'Add' }],
    })
    expect(input.requestedItems).toHaveLength(1)
    expect(input.requestedItems[0]?.name).toBe('Prod Admin')
  })

  it('gives decisions for request-response triggers', () => {
    expect(sampleOutput('idn:access-request-pre-approval', { approved: false }).approved).toBe(false)
    expect(
      catalog['idn:access-request-dynamic-approver'].output.safeParse(
        sampleOutput('idn:access-request-dynamic-approver'),
      ).success,
    ).toBe(true)
  })

  it('refuses an id outside the catalog', () => {
    expect(() => sampleInput('acme:nothing' as TriggerId)).toThrow(/not a catalog trigger/)
  })
})
