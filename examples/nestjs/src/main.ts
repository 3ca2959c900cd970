import 'reflect-metadata'
import { NestFactory } from '@nestjs/core'
import { AppModule, tokensFromEnvironment } from './app.module'

async function bootstrap() {
  if (tokensFromEnvironment().length === 0) {
    console.error('Set ISC_TOKEN to the bearer token of your ISC trigger subscription (see .env.example).')
    process.exit(1)
  }
  // rawBody: the receiver reads the exact bytes ISC sent. Shutdown hooks let it finish in-flight work.
  const app = await NestFactory.create(AppModule, { rawBody: true, logger: ['error', 'warn'] })
  app.enableShutdownHooks()
  await app.listen(Number(process.env.PORT ?? 3002), '127.0.0.1')
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
  console.log(`listening on ${url}/isc/triggers/<trigger>`)
}

void bootstrap()
