import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { renderTriggerDocs } from '../../../scripts/trigger-docs.js'

it('docs/triggers.md is what the catalog generates (run `pnpm docs:triggers` after changing the catalog)', () => {
  const committed = readFileSync(new URL('../../../../../docs/triggers.md', import.meta.url), 'utf8')
  expect(committed).toBe(renderTriggerDocs())
})
