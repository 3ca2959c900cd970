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
}
