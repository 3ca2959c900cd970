import { randomInt } from 'node:crypto'
import { generateSync } from 'json-schema-faker'
import { describe, expect, it } from 'vitest'
import { createTriggerReceiver, type TriggerReceiver } from '../../receiver/receiver.js'
import type { AnyTrigger } from '../define-trigger.js'
import { catalog } from './index.js'
import {
  compileValidator,
  PUBLISHED,
  publishedAvailable,
  publishedTriggers,
  readPublished,
  toJsonSchema,
} from './published-schema.test-helper.js'

// Property test: nothing ISC sends is refused. For every trigger, payloads are generated from
// SailPoint's own published schema (json-schema-faker), each is confirmed valid by Ajv, and each
// is delivered to a receiver, which must accept it and hand it to the handler unchanged (and
// exactly as zod's own parse of the schema returns it).
// Request-response outputs get the same treatment: every value SailPoint's output schema allows is
// accepted as a handler's decision, and every decision sent validates under that schema.
//
// Fixed seed by default (reproducible in CI). Another seed: CONFORMANCE_SEED=1234 pnpm test;
// a random one: CONFORMANCE_SEED=random pnpm test (the seed is printed in the test names).
// More instances: CONFORMANCE_RUNS=2000.

if (!publishedAvailable && process.env.CI)
  throw new Error(`CI must have the published trigger data at ${PUBLISHED}`)

const seedSetting = process.env.CONFORMANCE_SEED ?? '20261201'
const SEED = seedSetting === 'random' ? randomInt(1, 2 ** 31 - 1) : Number(seedSetting)
const RUNS = Number(process.env.CONFORMANCE_RUNS ?? 250)
// Generous, and growing with RUNS: a busy two-core machine may be several times slower.
const BUDGET_MS = 60_000 + RUNS * 200
const TOKEN = 'conformance-token'
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }

/** Generation settings cycled through, so optional fields are sometimes all there, sometimes none. */
const VARIANTS = [{ alwaysFakeOptionals: true }, { optionalsProbability: 0.5 }, { optionalsProbability: 0 }]

/** One generated value, with what reproduces it. */
interface Instance {
  value: unknown
  /** json-schema-faker's seed and settings for this value. */
  seed: number
  variant: number
}

/** `count` instances of `schema` that Ajv confirms, from consecutive seeds. */
function instancesOf(schema: unknown, count: number, seed: number): Instance[] {
  const valid = compileValidator(schema)
  const out: Instance[] = []
  for (let i = 0; out.length < count && i < count * 4; i++) {
    const value = generateSync(schema as never, { seed: seed + i, maxDefaultItems: 3, ...VARIANTS[i % 3] })
    if (valid(value)) out.push({ value, seed: seed + i, variant: i % 3 })
  }
  expect(out.length, `json-schema-faker made too few valid instances (seed ${seed})`).toBe(count)
  return out
}

/**
 * A copy of `value` with a field no schema declares added to every object, where SailPoint's
 * schema allows it (json-schema-faker adds none): the handler must get every one of them back.
 * Objects whose schema is closed (`additionalProperties: false`) are left as they are.
 */
function withUnknownFields(value: unknown, isValid: (value: unknown) => boolean): unknown {
  const add = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(add)
    if (typeof node !== 'object' || node === null) return node
    const copy: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(node)) copy[key] = add(child)
    copy.addedByIscLater = { kept: [1, 'two', null] }
    return copy
  }
  const extended = add(value)
  // Keep the extension only where SailPoint's schema still allows it (an enum of objects would not).
  return isValid(extended) ? extended : value
}

const entry = (id: string) => (catalog as Record<string, AnyTrigger>)[id]

/** A receiver with a handler for every catalog trigger that records what it was given. */
function recordingReceiver(outputFor: (id: string) => unknown): {
  receiver: TriggerReceiver
  seen: unknown[]
} {
  const seen: unknown[] = []
  const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TOKEN] }, logger: false })
  for (const trigger of Object.values(catalog as Record<string, AnyTrigger>)) {
    receiver.on(
      trigger.id as keyof typeof catalog,
      (input: unknown) => {
        seen.push(input)
        return outputFor(trigger.id) as never
      },
      (trigger.type === 'request-response' ? { mode: 'sync' } : undefined) as never,
    )
  }
  return { receiver, seen }
}

/** A decision valid under SailPoint's output schema, for request-response inputs. */
const anyDecision: Record<string, unknown> = {
  'idn:access-request-pre-approval': { approved: true, comment: 'ok', approver: 'svc' },
  'idn:access-request-dynamic-approver': null,
}

const triggers = publishedTriggers()
const inputSchemas = triggers.flatMap(({ folder, id }) =>
  ['input.schema.json', 'ets-input.schema.json']
    .map((file) => ({ id, file, schema: readPublished(folder, file) }))
    .filter((source) => source.schema !== undefined),
)

describe.skipIf(!publishedAvailable)(
  `published input schemas, ${RUNS} instances each (seed ${SEED})`,
  { timeout: BUDGET_MS },
  () => {
    it('covers all 42 published triggers', () => {
      expect(triggers).toHaveLength(42)
      expect(new Set(inputSchemas.map((source) => source.id)).size).toBe(42)
    })

    it.each(inputSchemas)('$id accepts every instance of $file', async ({ id, file, schema }) => {
      // Half the instances read an array's `required` as its items' fields (SailPoint's meaning),
      // half ignore it (JSON Schema's literal reading, which allows more).
      const readings = [toJsonSchema(schema, 'items'), toJsonSchema(schema, 'ignore')]
      const { receiver, seen } = recordingReceiver((trigger) => anyDecision[trigger])
      const refused: string[] = []
      for (const [reading, converted] of readings.entries()) {
        const isValid = compileValidator(converted)
        const count = reading === 0 ? Math.ceil(RUNS / 2) : Math.floor(RUNS / 2)
        for (const instance of instancesOf(converted, count, SEED)) {
          const value = instance.seed % 2 === 0 ? instance.value : withUnknownFields(instance.value, isValid)
          const body = JSON.stringify(value)
          const reply = await receiver.handle({ method: 'POST', headers, body, trigger: id })
          const where = `${file}, seed ${instance.seed}, variant ${instance.variant}, reading ${['items', 'ignore'][reading]}`
          if (reply.status !== 200) refused.push(`${where}: ${reply.body}`)
          else {
            expect(seen.at(-1), `${id} (${where}): the handler gets the payload as sent`).toEqual(value)
            // The receiver's compiled parse hands over exactly what zod's own parse gives.
            expect(seen.at(-1), `${id} (${where}): zod's output`).toStrictEqual(
              entry(id)!.input.parse(JSON.parse(body)),
            )
          }
        }
      }
      expect(refused.slice(0, 5), `${refused.length} of ${RUNS} refused`).toEqual([])
    })
  },
)

/**
 * Decisions SailPoint's own docs tell subscribers to send although its output schema refuses them
 * (see the quirk on accessRequestDynamicApprover): "no approver" as `{}` or as empty strings.
 * They are the only decisions we send that the output schema does not allow.
 */
const DOCUMENTED_CONTRADICTIONS: Record<string, unknown[]> = {
  'idn:access-request-dynamic-approver': [{}, { id: '', name: '', type: '' }],
}

const requestResponse = triggers.filter(({ id }) => entry(id)?.type === 'request-response')
const sampleInput: Record<string, unknown> = {
  'idn:access-request-pre-approval': readPublished('idn_access-request-pre-approval', 'example-input.json'),
  'idn:access-request-dynamic-approver': readPublished(
    'idn_access-request-dynamic-approver',
    'example-input.json',
  ),
}

describe.skipIf(!publishedAvailable)(
  `published output schemas, ${RUNS} instances each (seed ${SEED})`,
  { timeout: BUDGET_MS },
  () => {
    it('covers both request-response triggers', () => {
      expect(requestResponse.map(({ id }) => id).sort()).toEqual([
        'idn:access-request-dynamic-approver',
        'idn:access-request-pre-approval',
      ])
    })

    it.each(requestResponse)(
      '$id: every valid output is accepted, and what is sent is valid',
      async ({ id, folder }) => {
        const schema = toJsonSchema(readPublished(folder, 'output.schema.json'))
        const isValid = compileValidator(schema)
        const decisions = [
          ...instancesOf(schema, RUNS, SEED).map((instance) => instance.value),
          ...(DOCUMENTED_CONTRADICTIONS[id] ?? []),
        ]
        let decision: unknown
        const { receiver } = recordingReceiver(() => decision)
        const body = JSON.stringify(sampleInput[id])
        const problems: string[] = []
        for (const [index, value] of decisions.entries()) {
          decision = value
          const reply = await receiver.handle({ method: 'POST', headers, body, trigger: id })
          const sent: unknown = JSON.parse(reply.body)
          const contradiction = (DOCUMENTED_CONTRADICTIONS[id] ?? []).some((known) => known === value)
          if (reply.status !== 200) problems.push(`#${index}: ${reply.status} ${reply.body}`)
          else if (!contradiction && !isValid(sent)) problems.push(`#${index}: sent ${reply.body}, invalid`)
        }
        expect(problems.slice(0, 5), `${problems.length} of ${decisions.length} failed`).toEqual([])
      },
    )

    it('the documented contradictions are still contradictions (drop them when SailPoint fixes its schema)', () => {
      for (const [id, values] of Object.entries(DOCUMENTED_CONTRADICTIONS)) {
        const folder = `idn_${id.slice(4)}`
        const isValid = compileValidator(toJsonSchema(readPublished(folder, 'output.schema.json')))
        for (const value of values) expect(isValid(value), JSON.stringify(value)).toBe(false)
      }
    })
  },
)
