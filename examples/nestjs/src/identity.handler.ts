import type { TriggerInput } from '@isc-triggers/core'
import { OnTrigger } from '@isc-triggers/nestjs'
import { Injectable } from '@nestjs/common'

/** Welcomes new identities (a real service would create accounts or send an email). */
@Injectable()
export class IdentityHandler {
  readonly welcomed: string[] = []

  @OnTrigger('idn:identity-created')
  welcome(input: TriggerInput<'idn:identity-created'>) {
    this.welcomed.push(input.identity.name)
    console.log(`identity-created: welcome ${input.identity.name} (${input.identity.id})`)
  }
}
