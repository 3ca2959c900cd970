import { main } from './main.js'

/** What a command printed and the exit code it returned. */
export interface CliRun {
  code: number
  out: string
  err: string
}

/**
 * Runs `isc-triggers <argv>` in this process (fast; cli.test.ts and others also run it as a
 * process, the way a user does), collecting its output.
 *
 * @example
 * const { code, out } = await runCli('filter', 'check', '--sample', 'identity-created', '--filter', '$.identity')
 */
export async function runCli(...argv: string[]): Promise<CliRun> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(
    argv,
    (line) => out.push(line),
    (line) => err.push(line),
  )
  return { code, out: out.join('\n'), err: err.join('\n') }
}
