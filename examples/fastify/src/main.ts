import { createApp, TRIGGER_PATH } from './server.js'

const tokens = (process.env.ISC_TOKEN ?? '')
  .split(',')
  .map((token) => token.trim())
  .filter(Boolean)
if (tokens.length === 0) {
  console.error('Set ISC_TOKEN to the bearer token of your ISC trigger subscription (see .env.example).')
  process.exit(1)
}

const { app } = await createApp({ tokens })
const address = await app.listen({ port: Number(process.env.PORT ?? 3002), host: '127.0.0.1' })
console.log(`listening on ${address}${TRIGGER_PATH}/<trigger>`)

async function shutdown() {
  // app.close() answers in-flight deliveries, then closes the receiver (it waits for work still
  // running after a reply): ISC never redelivers an event.
  await app.close()
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
