import { describe, expect, it } from 'vitest'
import { createTriggerReceiver } from '../receiver/receiver.js'
import { normaliseHeaders } from './headers.js'

describe('normaliseHeaders', () => {
  it('lower-cases names and joins repeated values', () => {
    expect(normaliseHeaders({ Authorization: 'Bearer x', 'X-Many': ['a', 'b'], 'x-many': 'c' })).toEqual({
      authorization: 'Bearer x',
      'x-many': 'a, b, c',
    })
  })

  it('skips a value that is no header (null, a number) instead of throwing', () => {
    const headers = { Authorization: 'Bearer x', 'X-Null': null, 'X-Number': 7 } as never
    expect(normaliseHeaders(headers)).toEqual({ authorization: 'Bearer x' })
  })

  it('lets a delivery with a null header value through to its handler (a hand-built event object)', async () => {
    const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: ['t0ken'] }, logger: false })
    const seen: string[] = []
    receiver.on('idn:identity-created', (input) => {
      seen.push(input.identity.name)
    })
    const reply = await receiver.handle({
      method: 'POST',
      headers: {
        Authorization: 'Bearer t0ken',
        'Content-Type': 'application/json',
        'X-Forwarded-For': null,
      } as never,
      body: JSON.stringify({
        identity: { type: 'IDENTITY', id: 'i1', name: 'Ada' },
        attributes: { firstname: 'Ada' },
      }),
      trigger: 'identity-created',
    })
    expect(reply.status).toBe(200)
    expect(seen).toEqual(['Ada'])
  })
})
