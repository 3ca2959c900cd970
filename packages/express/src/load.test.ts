import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTriggerReceiver } from '@isc-triggers/core'
import { sampleInput } from '@isc-triggers/testing'
import { bearer, TEST_TOKEN } from '@isc-triggers-internal/test-utils'
import express from 'express'
import { expect, it } from 'vitest'
import { createTriggerMiddleware } from './middleware.js'

// A bounded load test on loopback (it stops by itself): 10,000 deliveries at concurrency 100
// through the Express adapter, each a distinct identity. Every event must be recorded exactly once,
// no reply may be an error, and memory must come back to its plateau.
const DELIVERIES = 10_000
const CONCURRENCY = 100

it(`records each of ${DELIVERIES} deliveries exactly once at concurrency ${CONCURRENCY}`, {
  timeout: 60_000,
}, async () => {
  const recorded = new Map<string, number>()
  const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TEST_TOKEN] }, logger: false })
  receiver.on('idn:identity-created', async (input) => {
    await new Promise((resolve) => setImmediate(resolve)) // a handler that yields, like one doing I/O
    recorded.set(input.identity.id, (recorded.get(input.identity.id) ?? 0) + 1)
  })
  const app = express()
  app.use('/isc/triggers', createTriggerMiddleware(receiver))
  const server = createServer(app)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/isc/triggers/identity-created`
  const statuses = new Map<number, number>()

  async function send(index: number) {
    const body = JSON.stringify(
      sampleInput('idn:identity-created', { identity: { id: `identity-${index}` } }),
    )
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: bearer(TEST_TOKEN), 'content-type': 'application/json' },
      body,
    })
    await response.arrayBuffer()
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
  }

  try {
    // Warm-up, then the plateau the run is measured against.
    for (let i = 0; i < 1_000; i += CONCURRENCY)
      await Promise.all(Array.from({ length: CONCURRENCY }, (_, j) => send(-(i + j + 1))))
    globalThis.gc?.()
    const plateau = process.memoryUsage().heapUsed
    recorded.clear()
    statuses.clear()

    const started = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < DELIVERIES) await send(next++)
      }),
    )
    const seconds = (performance.now() - started) / 1000

    expect(Object.fromEntries(statuses)).toEqual({ 200: DELIVERIES })
    expect(recorded.size).toBe(DELIVERIES)
    expect([...recorded.values()].every((count) => count === 1)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 50))
    globalThis.gc?.()
    const after = process.memoryUsage().heapUsed
    // The workers run with --expose-gc (vitest.config.ts), so both figures follow a full collection:
    // a leak of even 1 KiB per delivery would show as 10 MiB over the plateau.
    expect(globalThis.gc).toBeTypeOf('function')
    expect(after - plateau).toBeLessThan(4 * 1024 * 1024)
    console.info(
      `[measured] load: ${DELIVERIES} delivered, ${recorded.size} recorded once each, ${Math.round(DELIVERIES / seconds)}/s, ` +
        `heap ${(plateau / 2 ** 20).toFixed(1)} → ${(after / 2 ** 20).toFixed(1)} MiB`,
    )
  } finally {
    server.closeAllConnections()
    server.close()
  }
})
