#!/usr/bin/env node
// The `shopfloor` command. Subcommands live in ./commands; this file only dispatches.
import { setFlagsFromString } from 'node:v8'

// The edge agent runs on gateways with little memory: V8's --optimize-for-size takes its resident
// memory with 10,000 OPC UA tags from about 450 MB to under 200 MB, for about 3x the CPU (still a
// few percent of a core per 1,000 tags at 1 Hz; bench/agent.bench.ts). It must be set before the
// modules load, and NODE_OPTIONS does not allow it. SHOPFLOOR_EDGE_OPTIMIZE=speed turns it off.
if (process.argv[2] === 'edge' && process.env['SHOPFLOOR_EDGE_OPTIMIZE'] !== 'speed') setFlagsFromString('--optimize-for-size')

const { runCli } = await import('./run.ts')
process.exitCode = await runCli(process.argv.slice(2))
