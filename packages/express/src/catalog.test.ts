import { type AnyTrigger, catalog, createTriggerReceiver, type TriggerId } from '@isc-triggers/core'
import { sampleInput, sampleOutputs } from '@isc-triggers/testing'
import { bearer, TEST_TOKEN } from '@isc-triggers-internal/test-utils'
import express from 'express'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createTriggerMiddleware } from './middleware.js'

// Every catalog trigger, received end to end through a real Express app over HTTP.
const triggers = Object.values(catalog as Record<string, AnyTrigger>)
const received = new Map<string, unknown>()
const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false })
for (const trigger of triggers) {
  const output = (sampleOutputs as Record<string, unknown>)[trigger.id]
  receiver.on(trigger, (input: unknown) => {
    received.set(trigger.id, input)
    return output as never
  })
}
const app = express()
app.use('/isc/triggers', createTriggerMiddleware(receiver))

describe('every catalog trigger through Express', () => {
  it.each(triggers)('$id ($type)', async (trigger) => {
    const input = sampleInput(trigger.id as TriggerId)
    const name = trigger.id.slice(trigger.id.indexOf(':') + 1)
    const reply = await request(app)
      .post(`/isc/triggers/${name}`)
      .set('authorization', bearer(TEST_TOKEN))
      .send(input)
    expect(reply.status, reply.text).toBe(200)
    expect(received.get(trigger.id)).toEqual(input)
    const expected =
      trigger.type === 'request-response' ? (sampleOutputs as Record<string, unknown>)[trigger.id] : {}
    expect(reply.body).toEqual(expected)
  })
})
