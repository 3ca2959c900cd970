import { deliver, sampleInput, sampleOutput } from '@isc-triggers/testing'
import { describe, expect, it } from 'vitest'
import { TOKEN, useHarness } from './telemetry.test-helper.js'

// Nothing secret or from a payload on any span (name, attributes, events, status) or metric
// point: every delivery outcome is exercised, everything exported is serialised and searched.

const h = useHarness()
const PAYLOAD_VALUE = 'Zenobia-Quillfeather-58213'
const WRONG_TOKEN = 'wrong-bearer-credential-4417'
const CLIENT_ID = 'otel-client-id-9921'
const CLIENT_SECRET = 'otel-client-secret-3306'
const PRE_APPROVAL = 'idn:access-request-pre-approval'

describe('no secret and no payload value in telemetry', () => {
  it('bearer tokens, the callback secret, the OAuth token and payload values appear nowhere', async () => {
    const isc = await h.fakeIsc({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
    const server = await h.serve(
      {
        completion: {
          allowedCallbackOrigins: [isc.origin],
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          retry: { baseDelayMs: 1, maxDelayMs: 5 },
        },
      },
      (receiver) => {
        receiver.on('idn:identity-created', (input) => {
          if (input.identity.name === PAYLOAD_VALUE) throw new Error(`cannot handle ${PAYLOAD_VALUE}`)
        })
        receiver.on(PRE_APPROVAL, () => sampleOutput(PRE_APPROVAL, { comment: PAYLOAD_VALUE }), {
          mode: 'async',
        })
      },
    )
    h.instrument()
    const identity = sampleInput('idn:identity-created', { identity: { name: PAYLOAD_VALUE } })
    expect((await server.post('identity-created', identity)).status).toBe(500) // the handler threw
    expect((await server.post('identity-created', identity, WRONG_TOKEN)).status).toBe(401)
    const invalid = { identity: { name: PAYLOAD_VALUE, id: 42 }, attributes: PAYLOAD_VALUE }
    expect((await server.post('identity-created', invalid)).status).toBe(400)
    isc.failNext(1, 503)
    const input = sampleInput(PRE_APPROVAL, { requestedFor: { name: PAYLOAD_VALUE } })
    const delivered = await deliver(server.url, PRE_APPROVAL, input, { bearer: TOKEN, mode: 'async', isc })
    const completion = await delivered.completion
    if (completion === undefined) throw new Error('no completion')
    const secret = (completion.body as { secret: string }).secret
    const oauthToken = String(completion.headers.authorization).replace(/^Bearer /, '')
    const spans = await h.telemetry.waitForSpans(6) // four deliveries, two callback attempts

    const secrets = [TOKEN, WRONG_TOKEN, secret, oauthToken, CLIENT_ID, CLIENT_SECRET, PAYLOAD_VALUE]
    expect(secrets.every((s) => typeof s === 'string' && s.length > 8)).toBe(true)
    const exported = JSON.stringify({
      spans: spans.map((span) => ({
        name: span.name,
        attributes: span.attributes,
        events: span.events,
        status: span.status,
        links: span.links,
      })),
      metrics: await h.telemetry.allMetrics(),
    })
    // The search would find them: what was exported is about these deliveries.
    expect(exported).toContain(delivered.invocationId)
    expect(exported).toContain('isc_triggers.callback.attempts')
    for (const value of secrets) expect(exported).not.toContain(value)
  })
})
