// Starts the Hono recipe: ISC_TOKEN=change-me pnpm --filter @isc-triggers-examples/recipes hono
import { startHonoServer, TRIGGER_PATH } from './hono.js'
import { createRecipeReceiver, emptyJournal, tokensFromEnv } from './triggers.js'

const receiver = createRecipeReceiver({ tokens: tokensFromEnv(), journal: emptyJournal() })
const server = await startHonoServer(receiver, { port: Number(process.env.PORT ?? 3000) })
console.log(`listening on http://127.0.0.1:${server.port}${TRIGGER_PATH}/<trigger>`)

for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  })
