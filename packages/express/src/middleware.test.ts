import {
  CONNECTION_CASES,
  FALLTHROUGH_STATUS,
  httpHarness,
  MOUNT,
  runAdapterContract,
  runReceiverProperties,
} from '@isc-triggers-internal/test-utils'
import express5 from 'express'
import express4 from 'express-v4'
import { createTriggerMiddleware } from './middleware.js'

type ExpressFactory = typeof express5

// A body parser that runs before the middleware reads the whole body first, without the
// receiver's limits (the README says to mount the middleware before it): the connection cases
// cannot hold there. Everything else, parser errors included, must.
const parserReadsFirst = Object.fromEntries(
  Object.values(CONNECTION_CASES).map((name) => [
    name,
    'a body parser mounted before the middleware reads the whole body first (README: mount it after)',
  ]),
)

const majors: [string, ExpressFactory][] = [
  ['express 5', express5],
  ['express 4', express4 as unknown as ExpressFactory],
]

for (const [major, express] of majors) {
  runAdapterContract(
    `${major}, app.use(path)`,
    (receiver) => {
      const app = express()
      app.use(MOUNT, createTriggerMiddleware(receiver))
      app.use((_req, res) => res.status(FALLTHROUGH_STATUS).json({}))
      return httpHarness(app)
    },
    { passThrough: true },
  )

  runAdapterContract(
    `${major}, after express.json() and express.text()`,
    (receiver) => {
      const app = express()
      app.use(express.json({ limit: '2mb' }), express.text())
      app.use(MOUNT, createTriggerMiddleware(receiver))
      app.use((_req, res) => res.status(FALLTHROUGH_STATUS).json({}))
      return httpHarness(app)
    },
    { passThrough: true, skip: parserReadsFirst },
  )

  runAdapterContract(
    `${major}, after express.raw()`,
    (receiver) => {
      const app = express()
      app.use(express.raw({ type: '*/*', limit: '2mb' }))
      app.use(MOUNT, createTriggerMiddleware(receiver))
      return httpHarness(app)
    },
    { skip: parserReadsFirst },
  )

  runAdapterContract(`${major}, app.post(path/:trigger)`, (receiver) => {
    const app = express()
    const middleware = createTriggerMiddleware(receiver)
    app.post(`${MOUNT}/:trigger`, middleware)
    app.all(MOUNT, middleware)
    app.get(`${MOUNT}/:trigger`, middleware)
    return httpHarness(app)
  })

  // Route mode with a parser in the route: its errors reach the route's error half.
  runAdapterContract(
    `${major}, app.post(path/:trigger, express.json(), middleware)`,
    (receiver) => {
      const app = express()
      const middleware = createTriggerMiddleware(receiver)
      app.post(`${MOUNT}/:trigger`, express.json({ limit: '2mb' }), middleware)
      app.all(MOUNT, express.json({ limit: '2mb' }), middleware)
      app.get(`${MOUNT}/:trigger`, middleware)
      return httpHarness(app)
    },
    { skip: parserReadsFirst },
  )

  // Route mode after an app-wide parser: Express runs no route after an error, so the README's
  // setup mounts the middleware at the path too, where it answers that parser's errors.
  runAdapterContract(
    `${major}, app.use(express.json()) then app.post(path/:trigger) and app.use(path)`,
    (receiver) => {
      const app = express()
      const middleware = createTriggerMiddleware(receiver)
      app.use(express.json({ limit: '2mb' }))
      app.post(`${MOUNT}/:trigger`, middleware)
      app.use(MOUNT, middleware)
      app.use((_req, res) => res.status(FALLTHROUGH_STATUS).json({}))
      return httpHarness(app)
    },
    { passThrough: true, skip: parserReadsFirst },
  )
}

runReceiverProperties('express 5, app.use(path)', (receiver) => {
  const app = express5()
  app.use(MOUNT, createTriggerMiddleware(receiver))
  return httpHarness(app)
})
