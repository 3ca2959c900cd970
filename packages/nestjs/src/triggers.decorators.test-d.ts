import type { TriggerInput } from '@isc-triggers/core'
import { OnTrigger } from './triggers.decorators.js'

// Checked by `pnpm typecheck`: @OnTrigger() holds the method to the trigger's types.
export class Handlers {
  @OnTrigger('idn:identity-created')
  welcome(input: TriggerInput<'idn:identity-created'>) {
    return input.identity.name
  }

  @OnTrigger('idn:access-request-pre-approval', { mode: 'async' })
  async decide(_input: TriggerInput<'idn:access-request-pre-approval'>) {
    return { approved: true, comment: 'ok', approver: 'svc' }
  }

  // @ts-expect-error the input of idn:identity-created has no `badge`
  @OnTrigger('idn:identity-created')
  wrongInput(input: { badge: string }) {
    return input.badge
  }

  // @ts-expect-error a request-response handler must return the decision
  @OnTrigger('idn:access-request-pre-approval')
  noDecision(_input: TriggerInput<'idn:access-request-pre-approval'>) {
    return 'yes'
  }

  // @ts-expect-error the fallback must be a full decision
  @OnTrigger('idn:access-request-pre-approval', { mode: 'sync', fallback: { approved: false } })
  partialFallback() {
    return { approved: true, comment: 'ok', approver: 'svc' }
  }

  // With a receiver `queue`: kept in the web process, as receiver.on(..., { queue: false }).
  @OnTrigger('idn:identity-attributes-changed', { queue: false })
  inWebProcess(input: TriggerInput<'idn:identity-attributes-changed'>) {
    return input.identity.id
  }

  @OnTrigger('idn:access-request-dynamic-approver', { mode: 'dynamic', timeoutMs: 3000, queue: false })
  dynamicInWebProcess() {
    return { id: '2c91808b6ef1d43e016efba0ce470906', name: 'Adam Kennedy', type: 'IDENTITY' as const }
  }

  // @ts-expect-error a SYNC handler always runs in the web process: `queue: true` is refused
  @OnTrigger('idn:access-request-pre-approval', { mode: 'sync', queue: true })
  syncQueued() {
    return { approved: true, comment: 'ok', approver: 'svc' }
  }
}
