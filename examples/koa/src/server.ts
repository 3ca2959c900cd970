import { createTriggerReceiver } from '@isc-triggers/core'
import { createTriggerMiddleware } from '@isc-triggers/koa'
import Router from '@koa/router'
import Koa from 'koa'

/** What this service keeps of the deliveries (a real one would write to a database or a queue). */
export interface Ledger {
  aggregations: { source: string; status: string; added: number; removed: number }[]
  departmentMoves: { identity: string; from: unknown; to: unknown }[]
}

export interface AppOptions {
  /** Bearer tokens the ISC subscriptions send; more than one during a rotation. */
  tokens: string[]
  log?: (line: string) => void
}

/** An ordinary Koa app whose router has one route for ISC triggers, next to its own routes. */
export function createApp({ tokens, log = console.log }: AppOptions) {
  const ledger: Ledger = { aggregations: [], departmentMoves: [] }
  const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens } })

  receiver.on('idn:account-aggregation-completed', (input) => {
    const { scanned, added, removed } = input.stats
    ledger.aggregations.push({ source: input.source.name, status: input.status, added, removed })
    log(
      `account-aggregation-completed: ${input.source.name} ${input.status}, ${scanned} scanned, +${added} -${removed}`,
    )
  })

  receiver.on('idn:identity-attributes-changed', (input) => {
    for (const change of input.changes.filter((c) => c.attribute === 'department')) {
      ledger.departmentMoves.push({
        identity: input.identity.name,
        from: change.oldValue,
        to: change.newValue,
      })
      log(
        `identity-attributes-changed: ${input.identity.name} moved from ${change.oldValue} to ${change.newValue}`,
      )
    }
  })

  const router = new Router()
  router.get('/health', (ctx) => {
    ctx.body = { ok: true }
  })
  router.post('/isc/triggers/:trigger', createTriggerMiddleware(receiver))
  const app = new Koa()
  app.use(router.routes())
  return { app, receiver, ledger }
}
