// The benchmark servers, one per scenario; server-process.ts runs one of them per process.
import { createServer, type Server } from 'node:http'
import { createTriggerReceiver, toNodeHandler } from '@isc-triggers/core'
import { createTriggerMiddleware } from '@isc-triggers/express'
import { createTriggerMiddleware as createKoaMiddleware } from '@isc-triggers/koa'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import express from 'express'
import Koa from 'koa'
import { TOKEN } from './payloads.js'
import { nestScenarios } from './servers-nest.js'

const EXPECTED = `Bearer ${TOKEN}`

function receiver() {
  const r = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TOKEN] }, logger: false })
  r.on('idn:identity-created', () => {})
  return r
}

/** The scenarios; "bare" ones are what a user writes by hand (as SailPoint's sample subscriber does). */
export const scenarios: Record<string, () => Server | Promise<Server>> = {
  // The limit: read the body, JSON.parse it, answer.
  'node:http bare': () =>
    createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        if (req.headers.authorization !== EXPECTED) {
          res.writeHead(401).end()
          return
        }
        JSON.parse(Buffer.concat(chunks).toString('utf8'))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    }),
  'node:http isc-triggers': () => createServer(toNodeHandler(receiver(), { path: '/isc/triggers' })),
  // Express with express.json() and a string compare of the bearer token.
  'express bare': () => {
    const app = express()
    app.post('/isc/triggers/identity-created', express.json(), (req, res) => {
      if (req.headers.authorization !== EXPECTED) {
        res.status(401).end()
        return
      }
      res.json({})
    })
    return createServer(app)
  },
  'express isc-triggers': () => {
    const app = express()
    app.use('/isc/triggers', createTriggerMiddleware(receiver()))
    return createServer(app)
  },
  // Koa with @koa/bodyparser on a @koa/router route and a string compare of the bearer token.
  'koa bare': () => {
    const app = new Koa()
    const router = new Router()
    router.post('/isc/triggers/identity-created', bodyParser(), (ctx) => {
      if (ctx.get('authorization') !== EXPECTED) {
        ctx.status = 401
        return
      }
      ctx.body = {}
    })
    app.use(router.routes())
    return createServer(app.callback())
  },
  'koa isc-triggers': () => {
    const app = new Koa()
    const router = new Router()
    router.post('/isc/triggers/:trigger', createKoaMiddleware(receiver()))
    app.use(router.routes())
    return createServer(app.callback())
  },
  ...nestScenarios,
}
