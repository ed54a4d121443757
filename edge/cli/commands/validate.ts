import { loadEdgeConfig } from '../../config/load.ts'
import { EXIT, type Command } from '../run.ts'

export const validate: Command = {
  summary: 'Checks an agent configuration file without connecting to anything. Exits 0 when it is valid, 2 with one line naming the file, the field and what is allowed when not.',
  usage: 'shopfloor validate FILE',
  options: {},
  async run({ positionals }) {
    const [file, ...extra] = positionals
    if (!file || extra.length > 0) {
      process.stderr.write('shopfloor validate: give exactly one config file\nUsage: shopfloor validate FILE\n')
      return EXIT.usage
    }
    const cfg = loadEdgeConfig(file)
    const lines = new Set(cfg.machines.map((m) => m.linePath)).size
    process.stdout.write(`${file}: ok (agent ${cfg.agent.id}: ${cfg.sources.length} sources, ${lines} lines, ${cfg.machines.length} machines)\n`)
    return EXIT.ok
  },
}
