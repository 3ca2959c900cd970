// What the commands share: exit codes, the trigger argument, reading an --input file.
import { readFileSync } from 'node:fs'
import { type AnyTrigger, catalog } from '@isc-triggers/core'
import { UsageError } from './command-line.js'

/** 0 ok (a filter matches), 1 the target answered but not as ISC expects, no completion, or no match, 2 wrong usage, 3 the target could not be reached or did not answer in time. */
export const EXIT = { ok: 0, unexpected: 1, usage: 2, unreachable: 3 } as const

/** Where a command prints its result, one line at a time. */
export type Out = (line: string) => void

/** The catalog trigger named `name` (`idn:identity-created` or `identity-created`), or a usage error. */
export function findTrigger(name: string | undefined): AnyTrigger {
  if (!name) throw new UsageError('name a trigger, e.g. idn:identity-created or identity-created')
  const all = catalog as Record<string, AnyTrigger>
  const id = [name, `idn:${name}`].find((key) => Object.hasOwn(all, key))
  const trigger = id === undefined ? undefined : all[id]
  if (!trigger) throw new UsageError(`unknown trigger "${name}": run 'isc-triggers list' to see the catalog`)
  return trigger
}

/** The `<trigger>` argument of a command. */
export const trigger = { placeholder: '<trigger>', parse: findTrigger }

/** The JSON of an `--input FILE`; a usage error when it cannot be read or is not JSON. */
export function readInput(file: string | undefined): Record<string, unknown> | undefined {
  if (file === undefined) return undefined
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new UsageError(`cannot read --input ${file}`)
  }
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new UsageError(`--input ${file} is not JSON`)
  }
}
