import { TriggersModule } from '@isc-triggers/nestjs'
import { Module } from '@nestjs/common'
import { AccessRequestHandler } from './access-request.handler'
import { DirectoryService } from './directory.service'
import { IdentityHandler } from './identity.handler'

/** ISC_TOKEN: the bearer token(s) of the ISC subscriptions, comma-separated during a rotation. */
export function tokensFromEnvironment(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.ISC_TOKEN ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter(Boolean)
}

@Module({
  imports: [
    TriggersModule.forRootAsync({
      path: 'isc/triggers',
      useFactory: () => ({
        auth: { type: 'bearer', tokens: tokensFromEnvironment() },
        // ISC waits for this service's answer: refuse to start without a handler for it.
        requireHandlers: ['idn:access-request-dynamic-approver'],
      }),
    }),
  ],
  providers: [DirectoryService, AccessRequestHandler, IdentityHandler],
})
export class AppModule {}
