import { sampleInput } from '@isc-triggers/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { type HonoServer, startHonoServer, TRIGGER_PATH } from './hono.js'
import { createRecipeReceiver, emptyJournal } from './triggers.js'

const token = 'recipe-test-token'
let server: HonoServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function start() {
  const journal = emptyJournal()
  const receiver = createRecipeReceiver({ tokens: [token], journal })
  server = await startHonoServer(receiver, { port: 0 })
  const base = `http://127.0.0.1:${server.port}`
  const post = (path: string, body: unknown, bearer = token) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  return { journal, receiver, base, post, server }
}

describe('the Hono recipe, served by @hono/node-server', () => {
  it('runs a fire-and-forget handler and answers 200 {}', async () => {
    const { journal, post } = await start()
    const input = sampleInput('idn:identity-created', { identity: { name: 'Katherine Johnson' } })
    const response = await post(`${TRIGGER_PATH}/identity-created`, input)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({})
    expect(journal.welcomed).toEqual(['Katherine Johnson'])
  })

  it('answers a SYNC pre-approval with the handler’s decision, by URL or by _metadata.triggerId', async () => {
    const { journal, post } = await start()
    const standard = sampleInput('idn:access-request-pre-approval')
    const admin = sampleInput('idn:access-request-pre-approval', {
      accessRequestId: 'ar-admin',
      requestedItems: [{ id: 'role-1', name: 'Prod Admin', type: 'ROLE', operation: 'Add' }],
    })
    const approved = await post(`${TRIGGER_PATH}/idn:access-request-pre-approval`, standard)
    expect(approved.status).toBe(200)
    expect(await approved.json()).toMatchObject({ approved: true, approver: 'svc-access-policy' })
    const metadata = {
      triggerId: 'idn:access-request-pre-approval',
      triggerType: 'REQUEST_RESPONSE',
      responseMode: 'SYNC',
    }
    const denied = await post(TRIGGER_PATH, { ...admin, _metadata: metadata })
    expect(denied.status).toBe(200)
    expect(await denied.json()).toMatchObject({
      approved: false,
      comment: 'Prod Admin needs a manual review',
    })
    expect(journal.decisions).toEqual([
      { accessRequestId: standard.accessRequestId, approved: true },
      { accessRequestId: 'ar-admin', approved: false },
    ])
  })

  it('refuses a wrong token (401) and an invalid payload (400) in core’s error format', async () => {
    const { journal, post } = await start()
    const input = sampleInput('idn:identity-created')
    const unauthorized = await post(`${TRIGGER_PATH}/identity-created`, input, 'nope')
    expect(unauthorized.status).toBe(401)
    expect(unauthorized.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(await unauthorized.json()).toEqual({
      error: { code: 'UNAUTHORIZED', message: expect.any(String) },
    })

    const invalid = await post(`${TRIGGER_PATH}/identity-created`, { ...input, identity: 'Ada' })
    expect(invalid.status).toBe(400)
    const body = (await invalid.json()) as { error: { code: string; issues: { path: string }[] } }
    expect(body.error.code).toBe('INVALID_PAYLOAD')
    expect(body.error.issues.map((issue) => issue.path)).toContain('identity')
    expect(JSON.stringify(body)).not.toContain('Ada')
    expect(journal.welcomed).toEqual([])

    // onRejected kept the refused delivery whole (ISC will not send it again); not the 401.
    expect(journal.rejected).toEqual([
      {
        trigger: 'identity-created',
        status: 400,
        code: 'INVALID_PAYLOAD',
        issues: [expect.objectContaining({ path: 'identity' })],
        body: expect.anything(),
        receivedAt: expect.any(Date),
      },
    ])
    expect(Buffer.from(journal.rejected[0]?.body ?? '').toString()).toBe(
      JSON.stringify({ ...input, identity: 'Ada' }),
    )
  })

  it('gives the trigger paths to the receiver whatever the method: 405 with Allow: POST', async () => {
    const { base, journal } = await start()
    for (const [method, path] of [
      ['GET', `${TRIGGER_PATH}/identity-created`],
      ['PUT', `${TRIGGER_PATH}/identity-created`],
      ['GET', TRIGGER_PATH],
    ] as const) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}` },
      })
      expect(response.status).toBe(405)
      expect(response.headers.get('allow')).toBe('POST')
      expect(await response.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } })
    }
    expect(journal.welcomed).toEqual([])
  })

  it('hands a segment that is not valid percent-encoding to the receiver as Hono leaves it', async () => {
    const { journal, post } = await start()
    const input = sampleInput('idn:identity-created')
    const unauthorized = await post(`${TRIGGER_PATH}/%E0%A4%A`, input, 'nope')
    expect(unauthorized.status).toBe(401)
    const unknown = await post(`${TRIGGER_PATH}/%E0%A4%A`, input)
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ error: { code: 'UNKNOWN_TRIGGER' } })
    expect(journal.rejected.map(({ trigger, code }) => ({ trigger, code }))).toEqual([
      { trigger: '%E0%A4%A', code: 'UNKNOWN_TRIGGER' },
    ])
  })

  it('leaves the app’s own routes to Hono', async () => {
    const { base, post } = await start()
    const health = await fetch(`${base}/health`)
    expect(await health.json()).toEqual({ ok: true })
    const note = await post('/notes', { text: 'hello' }, 'any')
    expect(note.status).toBe(201)
    expect(await note.json()).toEqual({ saved: { text: 'hello' } })
  })

  it('shuts down through receiver.close(): the delivery in flight finishes, later ones get 503', async () => {
    const { receiver, post, server: running } = await start()
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    let started!: () => void
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve
    })
    const finished: string[] = []
    receiver.on('idn:identity-deleted', async (input) => {
      started()
      await released
      finished.push(input.identity.name)
    })
    const inFlight = post(`${TRIGGER_PATH}/identity-deleted`, sampleInput('idn:identity-deleted'))
    await handlerStarted
    const closing = running.close()
    server = undefined
    release()
    await closing
    expect(finished).toEqual(['Ada Lovelace'])
    expect((await inFlight).status).toBe(200)
    const after = await receiver.handle({
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(sampleInput('idn:identity-created')),
      trigger: 'identity-created',
    })
    expect(after.status).toBe(503)
  })
})
