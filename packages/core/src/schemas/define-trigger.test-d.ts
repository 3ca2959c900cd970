import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  createTriggerReceiver,
  defineTrigger,
  type TriggerId,
  type TriggerInput,
  type TriggerOutput,
} from '../index.js'

const receiver = createTriggerReceiver({ auth: { type: 'none' } })

describe('types', () => {
  it('narrows the handler input from the trigger id', () => {
    receiver.on('idn:identity-created', (input, ctx) => {
      expectTypeOf(input.identity.name).toEqualTypeOf<string>()
      expectTypeOf(input.attributes).toEqualTypeOf<Record<string, unknown>>()
      expectTypeOf(ctx.trigger.id).toEqualTypeOf<'idn:identity-created'>()
      expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
    })
    expectTypeOf<TriggerInput<'idn:identity-created'>['identity']['type']>().toEqualTypeOf<'IDENTITY'>()
    expectTypeOf<'idn:identity-created'>().toExtend<TriggerId>()
  })

  it('requires a request-response handler to return the output type', () => {
    receiver.on('idn:access-request-pre-approval', async (input) => {
      expectTypeOf(input.accessRequestId).toEqualTypeOf<string>()
      return { approved: true, comment: 'ok', approver: 'svc' }
    })
    // @ts-expect-error the decision is missing `approver`
    receiver.on('idn:access-request-pre-approval', () => ({ approved: true, comment: 'ok' }))
    // @ts-expect-error `approved` must be a boolean
    receiver.on('idn:access-request-pre-approval', () => ({ approved: 'yes', comment: '', approver: '' }))
    expectTypeOf<TriggerOutput<'idn:access-request-pre-approval'>>().toEqualTypeOf<{
      approved: boolean
      comment: string
      approver: string
    }>()
  })

  it('types the fallback like the output', () => {
    const fallback = { approved: false }
    // @ts-expect-error the fallback must be a full decision
    receiver.on('idn:access-request-pre-approval', () => ({ approved: true, comment: '', approver: '' }), {
      fallback,
    })
  })

  it('needs defineTrigger for an id outside the catalog', () => {
    // @ts-expect-error not a catalog trigger id
    receiver.on('acme:badge-issued', () => {})
    const badgeIssued = defineTrigger({
      id: 'acme:badge-issued',
      type: 'fire-and-forget',
      input: z.object({ badge: z.string() }),
    })
    receiver.on(badgeIssued, (input, ctx) => {
      expectTypeOf(input).toEqualTypeOf<{ badge: string }>()
      expectTypeOf(ctx.trigger.id).toEqualTypeOf<'acme:badge-issued'>()
    })
    const scored = defineTrigger({
      id: 'acme:score',
      type: 'request-response',
      input: z.object({ user: z.string() }),
      output: z.object({ score: z.number() }),
    })
    receiver.on(scored, () => ({ score: 1 }))
    // @ts-expect-error the output must match the defined output schema
    receiver.on(scored, () => ({ score: 'high' }))
  })
})

describe('onUnknownTrigger', () => {
  it('gives an untyped JSON object and the requested id', () => {
    createTriggerReceiver({
      auth: { type: 'none' },
      onUnknownTrigger: (input, ctx) => {
        expectTypeOf(input).toEqualTypeOf<Record<string, unknown>>()
        expectTypeOf(ctx.trigger.id).toEqualTypeOf<string>()
        expectTypeOf(ctx.trigger.type).toEqualTypeOf<'fire-and-forget'>()
      },
    })
  })

  it('lists every catalog id for on()', () => {
    expectTypeOf<TriggerId>().toExtend<`${string}:${string}`>()
    expectTypeOf<
      'idn:access-request-dynamic-approver' | 'idn:sod-violation-closed' | 'idn:post-provisioning'
    >().toExtend<TriggerId>()
  })
})

describe('request-response modes', () => {
  const decide = () => ({ approved: true, comment: 'ok', approver: 'svc' })
  it('accepts each mode with its own options', () => {
    receiver.on('idn:access-request-pre-approval', decide, {
      mode: 'sync',
      timeoutMs: 5000,
      fallback: decide(),
    })
    receiver.on('idn:access-request-pre-approval', decide, { mode: 'async' })
    receiver.on('idn:access-request-pre-approval', decide, { mode: 'dynamic', timeoutMs: 3000 })
    receiver.on('idn:access-request-pre-approval', async (_input, ctx) => {
      expectTypeOf(ctx.defer).toEqualTypeOf<() => void>()
      expectTypeOf(ctx.invocation?.callbackURL).toEqualTypeOf<string | undefined>()
      return decide()
    })
  })

  it('refuses a fallback outside sync mode', () => {
    // @ts-expect-error a late async handler completes by callback, not with a fallback
    receiver.on('idn:access-request-pre-approval', decide, { mode: 'async', fallback: decide() })
  })
})

describe('catalog typing', () => {
  it('types nested fields of every family (no unknown where the schema is known)', () => {
    expectTypeOf<
      TriggerInput<'idn:account-aggregation-completed'>['source']['name']
    >().toEqualTypeOf<string>()
    expectTypeOf<
      TriggerInput<'idn:aggregation-accounts-collected'>['stats']['added']
    >().toEqualTypeOf<number>()
    expectTypeOf<TriggerInput<'idn:source-updated'>['modified']>().toEqualTypeOf<string>()
    expectTypeOf<TriggerInput<'idn:campaign-ended'>['campaign']['status']>().toEqualTypeOf<'COMPLETED'>()
    // Native change payloads come in two shapes (docs and spec); `'eventType' in input` tells them apart.
    type NativeChange = TriggerInput<'idn:native-change-account-updated'>
    expectTypeOf<
      Extract<NativeChange, { eventType: unknown }>['eventType']
    >().toEqualTypeOf<'ACCOUNT_UPDATED'>()
    expectTypeOf<Exclude<NativeChange, { eventType: unknown }>['nativeIdentifier']>().toEqualTypeOf<string>()
  })
})
