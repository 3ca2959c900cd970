import 'reflect-metadata'
import { NestFactory } from '@nestjs/core'
import type { NestExpressApplication } from '@nestjs/platform-express'
import { AppModule, tokensFromEnvironment } from './app.module'

async function bootstrap() {
  if (tokensFromEnvironment().length === 0) {
    console.error('Set ISC_TOKEN to the bearer token of your ISC trigger subscription (see .env.example).')
    process.exit(1)
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: ['error', 'warn'] })
  // ISC payloads can pass Nest's 100 kB default (provisioning, saved searches): allow the receiver's 1 MiB.
  app.useBodyParser('json', { limit: '1mb' })
  // Shutdown hooks let the receiver finish in-flight deliveries and callbacks: ISC never redelivers.
  app.enableShutdownHooks()
  await app.listen(Number(process.env.PORT ?? 3002), '127.0.0.1')
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
  console.log(`listening on ${url}/isc/triggers/<trigger>`)
}

void bootstrap()
