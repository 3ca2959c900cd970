import { expect, it } from 'vitest'
import * as otel from './index.js'

it('exports exactly the public API', () => {
  expect(Object.keys(otel).sort()).toEqual(['instrumentTriggers'])
})
