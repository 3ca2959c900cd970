import { createApp, TRIGGER_PATH } from './server.js'
import { startTracing } from './tracing.js'

// ISC_TRIGGERS_TRACE=console prints a span for each delivery.
if (process.env.ISC_TRIGGERS_TRACE === 'console') startTracing()

const tokens = (process.env.ISC_TOKEN ?? '')
  .split(',')
  .map((token) => token.trim())
  .filter(Boolean)
if (tokens.length === 0) {
  console.error('Set ISC_TOKEN to the bearer token of your ISC trigger subscription (see .env.example).')
  process.exit(1)
}

const { app, receiver } = createApp({ tokens })
const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as { port: number }
  console.log(`listening on http://127.0.0.1:${port}${TRIGGER_PATH}/<trigger>`)
})

async function shutdown() {
  // Finish in-flight deliveries before the process goes: ISC never redelivers an event.
  server.close()
  await receiver.close()
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
