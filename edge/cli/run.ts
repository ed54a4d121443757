import { parseArgs, type ParseArgsConfig } from 'node:util'
import { VERSION } from '../version.ts'
import { ConfigError } from '../config/errors.ts'

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const

type Options = NonNullable<ParseArgsConfig['options']>

interface Command {
  summary: string
  usage: string
  options: Options
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }): Promise<number>
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./commands/demo.ts')).demo,
  edge: async () => (await import('./commands/edge.ts')).edge,
  ingest: async () => (await import('./commands/ingest.ts')).ingest,
  api: async () => (await import('./commands/api.ts')).api,
  sim: async () => (await import('./commands/sim.ts')).sim,
  validate: async () => (await import('./commands/validate.ts')).validate,
  discover: async () => (await import('./commands/discover.ts')).discover,
  scan: async () => (await import('./commands/scan.ts')).scan,
  'api-key': async () => (await import('./commands/api-key.ts')).apiKey,
}

const SUMMARIES: Record<string, string> = {
  demo: 'run the simulated factory, the agent, ingest and the API in one process',
  edge: 'run the edge agent: --config FILE',
  ingest: 'consume events from Kafka (KAFKA_BROKERS) into ClickHouse',
  api: 'serve the KPI API on PORT (default 8080)',
  sim: 'run the simulated factory (OPC UA and Modbus servers) and write an agent config for it',
  validate: 'check an agent config file: validate FILE',
  discover: 'browse an OPC UA server and print a config fragment: discover opc.tcp://HOST:PORT',
  scan: 'read a Modbus device\'s registers and show their plausible decodings: scan modbus://HOST:PORT?unit=1 --holding 0-99',
  'api-key': 'create, list or revoke the API\'s keys: api-key create --name NAME --role admin',
}

function help(): string {
  const lines = Object.entries(SUMMARIES).map(([name, s]) => `  ${name.padEnd(10)} ${s}`)
  return `shopfloor ${VERSION}: shop-floor monitoring\n\nUsage: shopfloor <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'shopfloor <command> --help' for a command's options.`
}

/** Runs the CLI; returns the exit code. Errors a user can fix end in one line on stderr. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n')
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  if (name === '--version') {
    process.stdout.write(VERSION + '\n')
    return EXIT.ok
  }
  const load = COMMANDS[name]
  if (!load) {
    process.stderr.write(`shopfloor: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})\n`)
    return EXIT.usage
  }
  const cmd = await load()
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] }
  try {
    parsed = parseArgs({ args: rest, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as typeof parsed
  } catch (e) {
    process.stderr.write(`shopfloor ${name}: ${(e as Error).message}\nUsage: ${cmd.usage}\n`)
    return EXIT.usage
  }
  if (parsed.values['help']) {
    process.stdout.write(`${cmd.summary}\n\nUsage: ${cmd.usage}\n`)
    return EXIT.ok
  }
  try {
    return await cmd.run(parsed)
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`)
      return EXIT.usage
    }
    const code = (e as { code?: string }).code
    process.stderr.write(`shopfloor ${name}: ${code ? `${code}: ` : ''}${(e as Error).message}\n`)
    return EXIT.failure
  }
}

export type { Command }
