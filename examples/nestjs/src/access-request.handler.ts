import type { TriggerInput, TriggerOutput } from '@isc-triggers/core'
import { OnTrigger } from '@isc-triggers/nestjs'
import { Injectable } from '@nestjs/common'
// A value import, not `import type`: Nest injects by the class named in the emitted metadata.
import { DirectoryService } from './directory.service'

type AccessRequest = TriggerInput<'idn:access-request-dynamic-approver'>
type ExtraApprover = TriggerOutput<'idn:access-request-dynamic-approver'>

/** Adds the payroll data owners as approvers of any request for payroll access; nobody otherwise. */
@Injectable()
export class AccessRequestHandler {
  // Injected by type: Nest reads the constructor's emitted metadata.
  constructor(private readonly directory: DirectoryService) {}

  @OnTrigger('idn:access-request-dynamic-approver', { mode: 'sync', timeoutMs: 5000 })
  chooseApprover(input: AccessRequest): ExtraApprover {
    const payroll = input.requestedItems.some((item) => /payroll/i.test(item.name))
    console.log(
      `access-request-dynamic-approver: ${input.accessRequestId} ${payroll ? 'payroll owners added' : 'no extra approver'}`,
    )
    return payroll ? this.directory.payrollApprovers() : {}
  }
}
