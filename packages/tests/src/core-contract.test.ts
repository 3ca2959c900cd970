import { createServer } from 'node:http'
import { toNodeHandler } from '@isc-triggers/core'
import {
  FALLTHROUGH_STATUS,
  handleHarness,
  httpHarness,
  runAdapterContract,
  runReceiverProperties,
} from '@isc-triggers-internal/test-utils'

// The reply table through receiver.handle() directly, and through the plain node:http bridge
// that every adapter builds on.
runAdapterContract('handle()', handleHarness)

runAdapterContract(
  'node:http via toNodeHandler',
  (receiver) => {
    const handler = toNodeHandler(receiver, { path: '/isc/triggers' })
    const server = createServer((req, res) =>
      handler(req, res, () => {
        res.writeHead(FALLTHROUGH_STATUS, { 'content-type': 'application/json' }).end('{}')
      }),
    )
    return httpHarness(server)
  },
  { passThrough: true },
)

runReceiverProperties('handle()', handleHarness)
runReceiverProperties('node:http via toNodeHandler', (receiver) =>
  httpHarness(createServer(toNodeHandler(receiver, { path: '/isc/triggers' }))),
)
