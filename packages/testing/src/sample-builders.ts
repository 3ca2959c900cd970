import type { TriggerId, TriggerInput, TriggerOutput } from '@isc-triggers/core'
import { sampleInputs, sampleOutputs } from './sample-payloads.js'

/** A deep-partial override: nested objects merge, arrays and other values replace. */
export type SampleOverrides<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: SampleOverrides<T[K]> }
    : T

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function merge(base: unknown, overrides: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(overrides)) return overrides === undefined ? base : overrides
  const out: Record<string, unknown> = { ...base }
  for (const key of Object.keys(overrides)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue
    out[key] = merge(base[key], overrides[key])
  }
  return out
}

/**
 * A valid input of trigger `id` (a fresh copy each call), with `overrides` deep-merged into it.
 *
 * @example
 * sampleInput('idn:identity-created', { identity: { name: 'Katherine Johnson' } })
 */
export function sampleInput<Id extends TriggerId>(
  id: Id,
  overrides?: SampleOverrides<TriggerInput<Id>>,
): TriggerInput<Id> {
  const sample: unknown = sampleInputs[id]
  if (sample === undefined) throw new Error(`No sample for ${JSON.stringify(id)}: not a catalog trigger id`)
  return merge(structuredClone(sample), overrides) as TriggerInput<Id>
}

/** Ids of the request-response triggers, the ones with an output. */
export type RequestResponseTriggerId = keyof typeof sampleOutputs

/**
 * A valid output (decision) of request-response trigger `id`, with `overrides` deep-merged.
 *
 * @example
 * sampleOutput('idn:access-request-pre-approval', { approved: false })
 */
export function sampleOutput<Id extends RequestResponseTriggerId>(
  id: Id,
  overrides?: SampleOverrides<TriggerOutput<Id>>,
): TriggerOutput<Id> {
  const sample: unknown = sampleOutputs[id]
  if (sample === undefined)
    throw new Error(`No sample output for ${JSON.stringify(id)}: not a request-response trigger`)
  return merge(structuredClone(sample), overrides) as TriggerOutput<Id>
}
