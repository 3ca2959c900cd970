#!/usr/bin/env node
// The `isc-triggers` command. This launcher is committed (the build writes dist/cli.mjs), so a
// fresh `pnpm install` can link the bin before anything is built.
import '../dist/cli.mjs'
