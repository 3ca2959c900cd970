import { z } from 'zod'
import { defineTrigger } from '../registry.js'
import { identityRef } from './refs.js'

/** `idn:identity-created`: an identity was created (by aggregation or by hand). */
export const identityCreated = defineTrigger({
  id: 'idn:identity-created',
  name: 'Identity Created',
  type: 'fire-and-forget',
  input: z.looseObject({
    identity: identityRef,
    /** Attributes from the identity profile; keys and values depend on the tenant. */
    attributes: z.record(z.string(), z.unknown()),
  }),
})
