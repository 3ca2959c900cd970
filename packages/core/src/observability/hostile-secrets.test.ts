import { inspect } from 'node:util'
import { pino } from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { loopback } from '../callbacks/loopback.test-helper.js'
import { headers, post } from '../queue/queue-fixtures.test-helper.js'
import type { TriggerRequest } from '../receiver/receiver.js'
import type { TriggerLogger } from '../types.js'
import {
  describeError,
  identityBody,
  lineLogger,
  PAYLOAD_VALUE,
  preApprovalDelivery,
  recordCallbacks,
  recordDeliveries,
  testReceiver,
} from './channel-recorder.test-helper.js'
import type { ReceiverHooks } from './hooks.js'
import { closers, DECISION, HOOK_THREW, tracked } from './hostile.test-helper.js'

// Whatever observes the receiver (channels, hooks, loggers, including ones that are not what they look
// like), no credential, callback secret or payload value reaches it, and no failing logger changes a reply.

describe('no credential, secret or payload value reaches an observer or a log line', () => {
  const PASSWORD = 'basic-pass-Wq93'
  const WRONG_PASSWORD = 'guessed-pass-Lm27'
  const CLIENT_SECRET = 'client-secret-Xc51'
  const CALLBACK_SECRET = 'callback-secret-Hv08'
  const QUERY_SECRET = 'query-sig-Pz64'
  const TOKEN = 'access-token-Rt17'
  /** In the handler's own error: the log may show it (it is the service's), an observer never. */
  const HANDLER_DETAIL = 'no-mailbox-for-Kf33'
  const secrets = [
    PASSWORD,
    WRONG_PASSWORD,
    CLIENT_SECRET,
    CALLBACK_SECRET,
    QUERY_SECRET,
    TOKEN,
    PAYLOAD_VALUE,
  ]
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

  it.each<[string, () => { logger: TriggerLogger | undefined; text: () => string }]>([
    [
      'pino',
      () => {
        const lines: string[] = []
        const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) })
        return { logger, text: () => lines.join('\n') }
      },
    ],
    [
      'a console-style logger',
      () => {
        const logger = lineLogger()
        return { logger, text: () => inspect(logger.lines, { depth: 20, showHidden: true }) }
      },
    ],
    [
      'the default (console)',
      () => {
        const calls: unknown[] = []
        vi.spyOn(console, 'error').mockImplementation((...args) => void calls.push(args))
        vi.spyOn(console, 'warn').mockImplementation((...args) => void calls.push(args))
        closers.push(async () => vi.restoreAllMocks())
        return { logger: undefined, text: () => inspect(calls, { depth: 20, showHidden: true }) }
      },
    ],
  ])('%s', async (_name, makeLogger) => {
    const { logger, text } = makeLogger()
    const deliveries = recordDeliveries()
    const callbacks = recordCallbacks()
    const told: unknown[] = []
    const reports: unknown[] = []
    // The token comes from a live endpoint; the callback URL's origin is closed (network errors),
    // and it carries a query, as a signed URL would.
    const tokens = await loopback((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: TOKEN })),
    )
    const gone = await loopback()
    await gone.close()
    const receiver = testReceiver({
      // undefined: the receiver's default, console (testReceiver's own default is silent)
      logger,
      auth: { type: 'basic', credentials: [{ username: 'isc', password: PASSWORD }] },
      hooks: [
        { onDelivery: (event) => void told.push(event) },
        {
          wrapHandler: (_ctx, run) => {
            run()
            throw new Error('tracer broken')
          },
        },
      ],
      completion: {
        allowedCallbackOrigins: [gone.origin],
        clientId: 'client',
        clientSecret: CLIENT_SECRET,
        tokenUrl: `${tokens.origin}/oauth/token`,
        retry: { baseDelayMs: 1, maxDelayMs: 2 },
        onCompletion: (report) => void reports.push(report),
      },
    })
    closers.push(() => receiver.close({ timeoutMs: 10 }))
    receiver.on('idn:identity-created', (input) => {
      if (input.identity.name === 'fail') throw new Error(`downstream failed: ${HANDLER_DETAIL}`)
    })
    receiver.on('idn:access-request-pre-approval', async () => DECISION, { mode: 'async' })
    const as = (request: TriggerRequest, authorization = basic('isc', PASSWORD)) => ({
      ...request,
      headers: { ...headers, authorization },
    })
    const asyncDelivery = preApprovalDelivery('inv-secret', { origin: gone.origin, secret: CALLBACK_SECRET })
    const body = JSON.parse(asyncDelivery.body)
    body._metadata.callbackURL += `?sig=${QUERY_SECRET}`
    const requests = [
      as(post('identity-created', identityBody()), basic('isc', WRONG_PASSWORD)),
      as(post('identity-created', identityBody()), `Bearer ${PASSWORD}`),
      as(post('identity-created', identityBody())),
      as(
        post('identity-created', {
          ...identityBody(),
          identity: { type: 'IDENTITY', id: 'x', name: 'fail' },
        }),
      ),
      as(post('identity-created', { identity: { id: 7, name: PAYLOAD_VALUE } })),
      as({ ...post('identity-created', null), body: `{"identity": ${PAYLOAD_VALUE}}` }),
      as({ ...asyncDelivery, body: JSON.stringify(body) }),
    ]
    const statuses = []
    for (const request of requests) statuses.push((await receiver.handle(request)).status)
    expect(statuses).toEqual([401, 401, 200, 500, 400, 400, 200])
    // A few failed attempts (network errors), then the run is stopped: its report is logged.
    await expect.poll(() => callbacks.events.filter((e) => e.event === 'error').length).toBeGreaterThan(1)
    await receiver.close({ timeoutMs: 10 })
    expect(reports).toMatchObject([{ outcome: 'abandoned' }])

    const observed = [
      deliveries.text(),
      callbacks.text(),
      inspect(told, { depth: 20 }),
      inspect(reports, { depth: 20 }),
      JSON.stringify(callbacks.events.map((e) => describeError(e.context.error))),
    ].join('\n')
    expect(text()).toContain('tracer broken') // the logger did receive the lines
    for (const secret of secrets) expect(`${text()}\n${observed}`).not.toContain(secret)
    expect(`${text()}\n${observed}`).not.toContain(Buffer.from(`isc:${WRONG_PASSWORD}`).toString('base64'))
    expect(observed).not.toContain(HANDLER_DETAIL)
  })
})

describe('loggers that are not what they look like', () => {
  const failing = (hooks: ReceiverHooks[], logger: TriggerLogger) => {
    const receiver = tracked({ logger, hooks })
    const runs = vi.fn(() => DECISION)
    receiver.on('idn:access-request-pre-approval', runs)
    return { receiver, runs }
  }
  const brokenHooks: ReceiverHooks[] = [
    {
      onDelivery: () => {
        throw new Error('metrics down')
      },
    },
    {
      wrapHandler: () => {
        throw new Error('tracer broken')
      },
    },
  ]

  it('child() and bindings that are not functions: not pino, called message first', async () => {
    const lines: unknown[][] = []
    const logger = {
      child: 'no',
      bindings: {},
      error: (...args: unknown[]) => void lines.push(args),
      warn: (...args: unknown[]) => void lines.push(args),
    } as unknown as TriggerLogger
    const { receiver, runs } = failing(brokenHooks, logger)
    expect(JSON.parse((await receiver.handle(preApprovalDelivery('inv-log'))).body)).toEqual(DECISION)
    expect(runs).toHaveBeenCalledTimes(1)
    expect(lines).toMatchObject([
      [
        'A hook failed: wrapHandler threw; the handler kept its own outcome',
        { invocationId: 'inv-log', error: { message: 'tracer broken' } },
      ],
      [
        'An onDelivery hook failed; the reply was not changed',
        { invocationId: 'inv-log', error: { message: 'metrics down' } },
      ],
    ])
  })

  it('a pino child logger: hook failures are fields-first lines with the ids and err', async () => {
    const lines: Record<string, unknown>[] = []
    const root = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
    const { receiver, runs } = failing(brokenHooks, root.child({ component: 'isc' }))
    expect(JSON.parse((await receiver.handle(preApprovalDelivery('inv-log'))).body)).toEqual(DECISION)
    expect(runs).toHaveBeenCalledTimes(1)
    expect(lines).toMatchObject([
      { component: 'isc', invocationId: 'inv-log', err: { message: 'tracer broken' }, msg: HOOK_THREW },
      { component: 'isc', invocationId: 'inv-log', err: { message: 'metrics down' } },
    ])
  })

  // (A logger whose error and warn are not functions fails at start-up: verifier-failure.test.ts.)
  it.each<[string, TriggerLogger]>([
    [
      'a pino look-alike whose methods throw',
      {
        child: () => ({}),
        bindings: () => ({}),
        error: () => {
          throw new Error('stream closed')
        },
        warn: () => {
          throw new Error('stream closed')
        },
      } as unknown as TriggerLogger,
    ],
  ])('%s: failing hooks still change nothing', async (_name, logger) => {
    const { receiver, runs } = failing(brokenHooks, logger)
    expect(JSON.parse((await receiver.handle(preApprovalDelivery('inv-log'))).body)).toEqual(DECISION)
    expect(runs).toHaveBeenCalledTimes(1)
    expect((await receiver.handle(post('identity-created', { identity: {} }))).status).toBe(404)
  })
})
