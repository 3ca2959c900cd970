#!/usr/bin/env node
// The `isc-triggers` command: the catalog, samples, deliveries like ISC's, and a real tenant's
// test-invocation API. Exit codes: 0 ok, 1 the target answered but not as ISC expects (or no
// completion), 2 wrong usage, 3 the target could not be reached or did not answer in time.
// The commands and their option tables are in cli/commands.ts.
import { EXIT } from './cli/commands.js'
import { main } from './cli/main.js'

main(process.argv.slice(2), undefined, (line) => console.error(line)).then(
  (code) => {
    process.exitCode = code
  },
  (error) => {
    console.error(error)
    process.exitCode = EXIT.unexpected
  },
)
