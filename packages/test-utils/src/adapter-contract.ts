import { createTriggerReceiver, type TriggerReceiver, type TriggerReceiverOptions } from '@isc-triggers/core'
import { afterEach, describe, expect, it } from 'vitest'
import { CONNECTION_CASES, describeConnections } from './connection-contract.js'
import { type Calls, type Case, cases, heldGates, recordAll, rejections } from './contract-cases.js'
import {
  FALLTHROUGH_STATUS,
  type HarnessRequest,
  type HarnessResponse,
  MOUNT,
  post,
} from './contract-http.js'
import { TEST_TOKEN } from './credentials.js'
import { identityCreatedSample } from './fixtures.js'
import { describeRequestResponse } from './request-response-contract.js'

export { CONNECTION_CASES } from './connection-contract.js'
export { FALLTHROUGH_STATUS, type HarnessRequest, type HarnessResponse, MOUNT } from './contract-http.js'

/** A real app (or a direct `handle()` caller) with the receiver mounted at {@link MOUNT}. */
export interface Harness {
  send(request: HarnessRequest): Promise<HarnessResponse>
  close?(): Promise<void> | void
  /**
   * Starts the app on a loopback port and returns it, for the cases that need a raw socket (a
   * client that trickles its body). Absent for a direct `handle()` harness, which has no connection.
   */
  listen?(): Promise<number>
}

/**
 * Builds a harness for a receiver. An adapter harness mounts the receiver at {@link MOUNT} and,
 * for the pass-through case, answers {@link FALLTHROUGH_STATUS} on any route it does not own.
 */
export type MakeHarness = (receiver: TriggerReceiver) => Promise<Harness> | Harness

export interface ContractOptions {
  /** The harness passes unknown paths on (`next()`); false for a direct `handle()` harness. */
  passThrough?: boolean
  /**
   * Cases this harness cannot pass by design, by name, with the reason (shown as a skipped test).
   * Keep it for what a framework does before the adapter runs, never for the adapter's own work.
   */
  skip?: Record<string, string>
}

/**
 * The behaviour every way of mounting a receiver must show, through a real app. Each adapter's
 * test calls this with a small harness.
 *
 * @example
 * runAdapterContract('express 5', (receiver) => expressHarness(express(), receiver))
 */
export function runAdapterContract(
  name: string,
  makeHarness: MakeHarness,
  options: ContractOptions = {},
): void {
  describe(`adapter contract: ${name}`, () => {
    let open: Harness[] = []
    afterEach(async () => {
      for (const gate of heldGates.splice(0)) gate.open()
      await Promise.all(open.map((harness) => harness.close?.()))
      open = []
    })

    async function start(options: Partial<TriggerReceiverOptions>, setup: Case['setup'], calls: Calls) {
      const receiver = createTriggerReceiver({
        auth: { type: 'bearer', tokens: [TEST_TOKEN] },
        logger: false,
        ...options,
      })
      ;(setup ?? recordAll)(receiver, calls)
      const harness = await makeHarness(receiver)
      open.push(harness)
      return harness
    }

    const connectionCases: string[] = Object.values(CONNECTION_CASES)
    for (const [name, reason] of Object.entries(options.skip ?? {})) {
      if (connectionCases.includes(name)) continue // skipped by describeConnections
      if (!cases.some((testCase) => testCase.name === name))
        throw new Error(`skip: no contract case named ${name}`)
      it.skip(`${name} (skipped: ${reason})`, () => {})
    }
    const run = cases.filter((testCase) => !options.skip || !(testCase.name in options.skip))
    it.each(run)('$name', async (testCase) => {
      const calls: Calls = []
      rejections.length = 0
      const harness = await start(testCase.options ?? {}, testCase.setup, calls)
      const reply = await harness.send(testCase.request)
      expect(reply.status, reply.text).toBe(testCase.status)
      expect(reply.headers['content-type']).toMatch(/^application\/json/)
      const body = JSON.parse(reply.text)
      if (testCase.code) expect(body.error.code).toBe(testCase.code)
      if (testCase.status >= 400) expect(Object.keys(body)).toEqual(['error'])
      // Over a connection, a refusal closes it (a direct handle() harness has none).
      if (testCase.status >= 400 && harness.listen) expect(reply.headers.connection).toBe('close')
      if (testCase.body !== undefined) expect(body).toEqual(testCase.body)
      for (const [header, value] of Object.entries(testCase.headers ?? {}))
        expect(reply.headers[header]).toMatch(value)
      if (testCase.handlerCalls !== undefined) expect(calls).toHaveLength(testCase.handlerCalls)
      for (const text of testCase.absent ?? []) expect(reply.text).not.toContain(text)
      testCase.check?.(calls, reply)
    })

    describeRequestResponse(makeHarness)
    describeConnections(makeHarness, options.skip)

    if (options.passThrough) {
      it('passes requests that are not for it to the next handler', async () => {
        const calls: Calls = []
        const harness = await start({}, undefined, calls)
        for (const path of ['/health', `${MOUNT}/identity-created/deeper`]) {
          const reply = await harness.send({ ...post('', identityCreatedSample()), path })
          expect(reply.status, path).toBe(FALLTHROUGH_STATUS)
        }
        expect(calls).toHaveLength(0)
      })
    }
  })
}
