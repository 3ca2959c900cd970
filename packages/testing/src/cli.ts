#!/usr/bin/env node
// The `isc-triggers` command: the catalog, samples, deliveries like ISC's, a real tenant's
// test-invocation API, filters (checked locally or by a tenant) and subscriptions as code.
// Exit codes, for every command:
//   0 ok: a delivery answered as ISC expects; filter check: a match; filter validate: valid;
//     subscriptions plan: done (even with changes, unless --exit-code); apply, list: done.
//   1 the target answered but not as ISC expects, or no completion; filter check: no match;
//     filter validate: not valid; a tenant refused (client credentials, a 400); plan --exit-code:
//     the tenant differs from the file.
//   2 wrong usage (options, an unreadable --input or --config file).
//   3 the target or tenant could not be reached or did not answer in time.
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
