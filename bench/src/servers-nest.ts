// The NestJS benchmark servers (decorators live here, apart from the plain ones).
import 'reflect-metadata'
import type { Server } from 'node:http'
import { createTriggerReceiver } from '@isc-triggers/core'
import { TriggersModule } from '@isc-triggers/nestjs'
import { Body, Controller, Headers, HttpCode, Module, Post, UnauthorizedException } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { TOKEN } from './payloads.js'

@Controller('isc/triggers')
class BareController {
  // What a user writes by hand: Nest's JSON body parser and a string compare of the token.
  @Post('identity-created')
  @HttpCode(200)
  receive(@Headers('authorization') authorization: string, @Body() _body: unknown) {
    if (authorization !== `Bearer ${TOKEN}`) throw new UnauthorizedException()
    return {}
  }
}
@Module({ controllers: [BareController] })
class BareModule {}

function triggersModule() {
  const receiver = createTriggerReceiver({ auth: { type: 'bearer', tokens: [TOKEN] }, logger: false })
  receiver.on('idn:identity-created', () => {})
  @Module({ imports: [TriggersModule.forRoot({ receiver })] })
  class TriggersAppModule {}
  return TriggersAppModule
}

async function start(module: object, rawBody: boolean): Promise<Server> {
  const app = await NestFactory.create(module as never, { logger: false, rawBody })
  await app.init()
  return app.getHttpServer()
}

export const nestScenarios: Record<string, () => Promise<Server>> = {
  'nestjs bare': () => start(BareModule, false),
  'nestjs isc-triggers': () => start(triggersModule(), true),
}
