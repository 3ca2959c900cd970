import {
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
    { passThrough: true },
  )

  runAdapterContract(`${major}, after express.raw()`, (receiver) => {
    const app = express()
    app.use(express.raw({ type: '*/*', limit: '2mb' }))
    app.use(MOUNT, createTriggerMiddleware(receiver))
    return httpHarness(app)
  })

  runAdapterContract(`${major}, app.post(path/:trigger)`, (receiver) => {
    const app = express()
    const middleware = createTriggerMiddleware(receiver)
    app.post(`${MOUNT}/:trigger`, middleware)
    app.all(MOUNT, middleware)
    app.get(`${MOUNT}/:trigger`, middleware)
    return httpHarness(app)
  })
}

runReceiverProperties('express 5, app.use(path)', (receiver) => {
  const app = express5()
  app.use(MOUNT, createTriggerMiddleware(receiver))
  return httpHarness(app)
})
