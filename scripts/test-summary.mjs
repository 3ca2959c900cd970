#!/usr/bin/env node
// Prints the plain "N passed, N failed" line CI reads, from vitest's JSON report. A test file that
// fails outside any test (an import error, a failing beforeAll) counts as one failure, so that
// the line never says "0 failed" for a red run.
import { readFileSync } from 'node:fs'

const report = JSON.parse(readFileSync(process.argv[2] ?? '.vitest-results.json', 'utf8'))
const brokenFiles = report.testResults.filter(
  (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'),
).length
const failed = report.numFailedTests + brokenFiles
const skipped = report.numPendingTests + report.numTodoTests
console.log(`${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exitCode = failed === 0 && report.success !== false ? 0 : 1
