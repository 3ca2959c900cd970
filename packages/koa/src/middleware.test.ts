import {
  CONNECTION_CASES,
  FALLTHROUGH_STATUS,
  httpHarness,
  MOUNT,
  runAdapterContract,
  runReceiverProperties,
} from '@isc-triggers-internal/test-utils'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import Koa3 from 'koa'
import Koa2 from 'koa-v2'
import { createTriggerMiddleware } from './middleware.js'

const majors: [string, typeof Koa3][] = [
  ['koa 3', Koa3],
  ['koa 2', Koa2 as unknown as typeof Koa3],
]

function fallthrough(app: Koa3) {
  app.use((ctx) => {
    ctx.status = FALLTHROUGH_STATUS
    ctx.body = {}
  })
}

for (const [major, Koa] of majors) {
  runAdapterContract(
    `${major}, app.use with a path`,
    (receiver) => {
      const app = new Koa()
      app.use(createTriggerMiddleware(receiver, { path: MOUNT }))
      fallthrough(app)
      return httpHarness(app.callback())
    },
    { passThrough: true },
  )

  runAdapterContract(
    `${major}, @koa/router route with :trigger`,
    (receiver) => {
      const app = new Koa()
      const router = new Router()
      const middleware = createTriggerMiddleware(receiver)
      router.all(`${MOUNT}/:trigger`, middleware)
      router.all(MOUNT, middleware)
      app.use(router.routes())
      fallthrough(app)
      return httpHarness(app.callback())
    },
    { passThrough: true },
  )

  runAdapterContract(
    `${major}, after @koa/bodyparser`,
    (receiver) => {
      const app = new Koa()
      const router = new Router()
      app.use(bodyParser())
      router.all(`${MOUNT}/:trigger`, createTriggerMiddleware(receiver))
      router.all(MOUNT, createTriggerMiddleware(receiver))
      app.use(router.routes())
      fallthrough(app)
      return httpHarness(app.callback())
    },
    {
      passThrough: true,
      skip: {
        'malformed JSON → 400':
          '@koa/bodyparser answers malformed JSON itself (400, text) before any route runs; mount the trigger route before it for the JSON error',
        'onRejected keeps malformed JSON with its raw body':
          '@koa/bodyparser answers malformed JSON itself before any route runs, so the receiver never sees it: mount the trigger route before the parser to keep it',
        'a __proto__ key → 400, no prototype polluted':
          '@koa/bodyparser refuses it itself (400, text) before any route runs: refused either way, in its format',
        'a gzip body without credentials → 401, never inflated first':
          '@koa/bodyparser inflates and reads the body itself before any route runs (its own 413): mount the trigger route before it',
        'a gzip body with credentials → 415, never inflated':
          '@koa/bodyparser inflates and reads the body itself before any route runs (its own 413): mount the trigger route before it',
        ...Object.fromEntries(
          Object.values(CONNECTION_CASES).map((name) => [
            name,
            "@koa/bodyparser reads the whole body before any route runs, without the receiver's limits: mount the trigger route before it",
          ]),
        ),
      },
    },
  )
}

runReceiverProperties('koa 3, app.use with a path', (receiver) => {
  const app = new Koa3()
  app.use(createTriggerMiddleware(receiver, { path: MOUNT }))
  return httpHarness(app.callback())
})
