import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { stringify } from 'yaml'
import { FactorySim } from '../../../connectors/index.ts'
import { EXIT, type Command } from '../run.ts'
import { untilSignal } from './signals.ts'

export const sim: Command = {
  summary:
    'Runs the simulated SMT line: a node-opcua server with each machine\'s state, stop reason and counters, and a Modbus TCP server with its energy meters, and writes an agent config that reads them.',
  usage: 'shopfloor sim [--opcua-port 4840] [--modbus-port 5020] [--seed 1] [--time-scale 5] [--write-config data/sim/edge.yaml]',
  options: {
    'opcua-port': { type: 'string' },
    'modbus-port': { type: 'string' },
    seed: { type: 'string' },
    'time-scale': { type: 'string' },
    'write-config': { type: 'string' },
  },
  async run({ values }) {
    const num = (name: string, def: number): number => {
      const v = values[name]
      const n = typeof v === 'string' ? Number(v) : def
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number (got "${String(v)}")`)
      return n
    }
    const factory = await FactorySim.start({
      opcuaPort: num('opcua-port', 4840),
      modbusPort: num('modbus-port', 5020),
      seed: num('seed', 1),
      timeScale: num('time-scale', 5) || 1,
    })
    const file = (values['write-config'] as string | undefined) ?? 'data/sim/edge.yaml'
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, `# Agent config for the simulated SMT line (written by shopfloor sim)\n${stringify(factory.edgeConfig())}`)
    process.stdout.write(`OPC UA server   ${factory.opcua.endpoint}\nModbus TCP      127.0.0.1:${factory.modbus.port} (unit 1)\nagent config    ${file}  (shopfloor edge --config ${file})\n`)
    await untilSignal()
    await factory.stop()
    return EXIT.ok
  },
}
