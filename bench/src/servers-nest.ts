// The NestJS benchmark servers (decorators live here, apart from the plain ones).
import 'reflect-metadata'
import type { Server } from 'node:http'
import { TriggersModule } from '@isc-triggers/nestjs'
import {
  Body,
  Controller,
  Headers,
  HttpCode,
  Module,
  Param,
  Post,
  UnauthorizedException,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import type { NestExpressApplication } from '@nestjs/platform-express'
import { DECISION, TOKEN } from './payloads.js'
import { benchReceiver } from './servers-receiver.js'

@Controller('isc/triggers')
class BareController {
  // What a user writes by hand: Nest's JSON body parser and a string compare of the token.
  @Post(':trigger')
  @HttpCode(200)
  receive(
    @Param('trigger') trigger: string,
    @Headers('authorization') authorization: string,
    @Body() _body: unknown,
  ) {
    if (authorization !== `Bearer ${TOKEN}`) throw new UnauthorizedException()
    return trigger === 'access-request-pre-approval' ? DECISION : {}
  }
}
@Module({ controllers: [BareController] })
class BareModule {}

function triggersModule() {
  @Module({ imports: [TriggersModule.forRoot({ receiver: benchReceiver() })] })
  class TriggersAppModule {}
  return TriggersAppModule
}

async function start(module: object, rawBody: boolean): Promise<Server> {
  const app = await NestFactory.create<NestExpressApplication>(module as never, { logger: false, rawBody })
  app.useBodyParser('json', { limit: '1mb' }) // Nest's default is 100 kB, below the 100 KiB payload
  await app.init()
  return app.getHttpServer()
}

export const nestScenarios: Record<string, () => Promise<Server>> = {
  'nestjs bare': () => start(BareModule, false),
  'nestjs isc-triggers': () => start(triggersModule(), false),
}
