import { Injectable } from '@nestjs/common'

/** Who approves what: stands in for this service's own directory or database. */
@Injectable()
export class DirectoryService {
  /** The governance group that must also approve access to payroll data. */
  payrollApprovers() {
    return {
      id: '6d0c3e1a9f2b4d7c8e5a1b3c4d5e6f70',
      name: 'Payroll Data Owners',
      type: 'GOVERNANCE_GROUP' as const,
    }
  }
}
