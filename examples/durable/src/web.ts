// The web process: answers ISC once a delivery is stored in Redis. Run one or more behind a load
// balancer; the workers (src/worker.ts) run the handlers.
import { createServer } from 'node:http'
import { toNodeHandler } from '@isc-triggers/core'
import { createDurableReceiver, TRIGGER_PATH } from './receiver.js'

let receiver: ReturnType<typeof createDurableReceiver>
try {
  receiver = createDurableReceiver()
} catch (error) {
  console.error((error as Error).message)
  process.exit(1)
}

const server = createServer(toNodeHandler(receiver, { path: TRIGGER_PATH }))
server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as { address: string; port: number }
  console.log(`listening on http://${address}:${port}${TRIGGER_PATH}/<trigger>`)
})

async function shutdown() {
  // Stop taking deliveries, answer the ones in flight (each is stored or refused with a 503),
  // then release the Redis connections.
  server.close()
  await receiver.close()
  process.exit(0)
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
