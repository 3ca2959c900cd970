import { z } from 'zod'

// Building blocks shared by several triggers. Written for isc-triggers from SailPoint's
// published trigger schemas; every object is loose (unknown fields kept), since ISC adds
// fields without notice.

/** `{ type: 'IDENTITY', id, name }`: how ISC points at an identity. */
export const identityRef = z.looseObject({
  type: z.literal('IDENTITY'),
  id: z.string(),
  name: z.string(),
})
