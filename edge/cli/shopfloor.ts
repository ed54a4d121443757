#!/usr/bin/env node
// The `shopfloor` command. Subcommands live in ./commands; this file only dispatches.
import { runCli } from './run.ts'

process.exitCode = await runCli(process.argv.slice(2))
