// The benchmark servers, one per scenario; server-process.ts runs one of them per process. Every
// server answers POST /isc/triggers/<trigger> for the three benchmark payloads: {} for the
// fire-and-forget ones, DECISION for the SYNC pre-approval.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { toNodeHandler } from '@isc-triggers/core'
import { triggerSegment } from '@isc-triggers/core/node'
import { createTriggerMiddleware } from '@isc-triggers/express'
import { createTriggerMiddleware as createKoaMiddleware } from '@isc-triggers/koa'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import { createNodeMiddleware, Webhooks } from '@octokit/webhooks'
import express from 'express'
import Koa from 'koa'
import { DECISION, TOKEN } from './payloads.js'
import { fastifyScenarios } from './servers-fastify.js'
import { nestScenarios } from './servers-nest.js'
import { observabilityScenarios } from './servers-observability.js'
import { queuedScenarios } from './servers-queued.js'
import { benchReceiver } from './servers-receiver.js'

const EXPECTED = `Bearer ${TOKEN}`
/** The HMAC secret of the @octokit/webhooks peer. */
export const OCTOKIT_SECRET = 'bench-hmac-secret-71c2'
/** The path the @octokit/webhooks peer listens on (its middleware serves one path). */
export const OCTOKIT_PATH = '/isc/triggers/hook'

/** The hand-written reply: the decision for the SYNC trigger, {} otherwise. */
export const bareReply = (trigger: string | undefined) =>
  trigger === 'access-request-pre-approval' ? DECISION : {}

/**
 * A Fetch-API handler behind node:http, as Fetch runtimes' Node adapters serve one: the request
 * becomes a Web `Request`, the handler's `Response` is written back. The same bridge serves the
 * bare handler and `receiver.fetch`, so their ratio is what the receiver costs, not the bridge.
 */
function fetchServer(handle: (request: Request, trigger: string | undefined) => Promise<Response>): Server {
  return createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: Readable.toWeb(req) as ReadableStream,
      duplex: 'half',
    } as RequestInit)
    const response = await handle(request, triggerSegment(req.url ?? '/', '/isc/triggers'))
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      headers[name] = value
    })
    res.writeHead(response.status, headers).end(await response.text())
  })
}

/** The hand-written Fetch handler: `request.json()` and a string compare of the bearer token. */
async function bareFetch(request: Request, trigger: string | undefined): Promise<Response> {
  if (request.headers.get('authorization') !== EXPECTED) return new Response(null, { status: 401 })
  await request.json()
  return Response.json(bareReply(trigger))
}

export const scenarios: Record<string, () => Server | Promise<Server>> = {
  // The limit: read the body, compare the token, JSON.parse it, answer.
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
        const reply = bareReply(triggerSegment(req.url ?? '/', '/isc/triggers'))
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply))
      })
    }),
  'node:http isc-triggers': () => createServer(toNodeHandler(benchReceiver(), { path: '/isc/triggers' })),
  'fetch bare': () => fetchServer(bareFetch),
  'fetch isc-triggers': () => {
    const receiver = benchReceiver()
    return fetchServer((request, trigger) => receiver.fetch(request, trigger))
  },
  // A peer: @octokit/webhooks verifying an HMAC-SHA256 signature over the same body.
  'octokit webhooks': () => {
    const webhooks = new Webhooks({ secret: OCTOKIT_SECRET })
    webhooks.onAny(() => {})
    return createServer(createNodeMiddleware(webhooks, { path: OCTOKIT_PATH }))
  },
  // Express with express.json() and a string compare of the bearer token.
  'express bare': () => {
    const app = express()
    app.post('/isc/triggers/:trigger', express.json({ limit: '1mb' }), (req, res) => {
      if (req.headers.authorization !== EXPECTED) {
        res.status(401).end()
        return
      }
      res.json(bareReply(req.params.trigger as string))
    })
    return createServer(app)
  },
  'express isc-triggers': () => {
    const app = express()
    app.use('/isc/triggers', createTriggerMiddleware(benchReceiver()))
    return createServer(app)
  },
  // Koa with @koa/bodyparser on a @koa/router route and a string compare of the bearer token.
  'koa bare': () => {
    const app = new Koa()
    const router = new Router()
    router.post('/isc/triggers/:trigger', bodyParser({ jsonLimit: '1mb' }), (ctx) => {
      if (ctx.get('authorization') !== EXPECTED) {
        ctx.status = 401
        return
      }
      ctx.body = bareReply(ctx.params.trigger)
    })
    app.use(router.routes())
    return createServer(app.callback())
  },
  'koa isc-triggers': () => {
    const app = new Koa()
    const router = new Router()
    router.post('/isc/triggers/:trigger', createKoaMiddleware(benchReceiver()))
    app.use(router.routes())
    return createServer(app.callback())
  },
  ...fastifyScenarios,
  ...nestScenarios,
  ...queuedScenarios,
  ...observabilityScenarios,
}
