import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { silentLogger } from '../../connectors/common/logger.ts'
import { modbusSourceOptions, type ModbusSourceConfig } from '../../connectors/modbus/config.ts'
import { ModbusSource } from '../../connectors/modbus/source.ts'
import { ConfigError, parseEdgeConfig, type EdgeConfig } from '../../edge/index.ts'

// Table-driven cases in connectors/modbus/cases/<name>/: config.yaml holds a Modbus source entry
// (and optionally a tag reference to it); expected.json the source options and the tag the agent
// gets, or expected-error.txt the start of the one-line error, path included.
const CASES = 'connectors/modbus/cases'
const EXAMPLE = readFileSync('edge/examples/smt-line.yaml', 'utf8')

interface Case {
  readonly source: Record<string, unknown>
  readonly tag?: Record<string, unknown>
}

/** The example agent config with its Modbus source replaced and, given a tag, the first machine's kWh reading from it. */
function agentConfig(c: Case): string {
  const cfg = parse(EXAMPLE) as Record<string, any>
  cfg.sources[1] = c.source
  const kwh = c.tag ?? { source: c.source['id'], table: 'holding', address: 0, type: 'UINT32' }
  for (const m of cfg.lines[0].machines) delete m.energy
  cfg.lines[0].machines[0].energy = { kwh }
  return stringify(cfg)
}

const cases = readdirSync(CASES).sort().map((name) => {
  const dir = join(CASES, name)
  const c = parse(readFileSync(join(dir, 'config.yaml'), 'utf8')) as Case
  return existsSync(join(dir, 'expected.json'))
    ? { name, c, expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { options: object; tag: object }, error: undefined }
    : { name, c, expected: undefined, error: readFileSync(join(dir, 'expected-error.txt'), 'utf8').trim() }
})

describe('Modbus config cases', () => {
  it('has cases of both kinds', () => {
    expect(cases.filter((c) => c.expected !== undefined).length).toBeGreaterThanOrEqual(5)
    expect(cases.filter((c) => c.error !== undefined).length).toBeGreaterThanOrEqual(10)
  })

  it.each(cases.filter((c) => c.expected !== undefined))('config case $name gives the expected source options and tag', ({ c, expected }) => {
    const cfg: EdgeConfig = parseEdgeConfig(agentConfig(c), 'gw.yaml')
    const source = cfg.sources.find((s) => s.id === c.source['id'])
    expect(source?.protocol).toBe('modbus')
    const { tags, logger, ...options } = modbusSourceOptions(source as ModbusSourceConfig, [], silentLogger)
    expect(options).toStrictEqual(expected?.options)
    const { protocol, source: _s, ...tag } = cfg.machines[0]?.energy?.kwh as Record<string, unknown>
    expect(protocol).toBe('modbus')
    expect(tag).toStrictEqual(expected?.tag)
    // And the connector takes them as they are, before any socket is opened.
    expect(() => new ModbusSource({ ...modbusSourceOptions(source as ModbusSourceConfig, [{ name: 'kwh', ...(tag as object) } as never], silentLogger) })).not.toThrow()
  })

  it.each(cases.filter((c) => c.error !== undefined))('config case $name is rejected in one line naming the key', ({ c, error }) => {
    let caught: unknown
    try {
      parseEdgeConfig(agentConfig(c), 'gw.yaml')
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(ConfigError)
    const e = caught as ConfigError
    expect(e.code).toBe('SHOPFLOOR_CONFIG')
    expect(e.message).toMatch(/^gw\.yaml:\d+: /)
    expect(e.message.replace(/^gw\.yaml:\d+: /, '')).toContain(error as string)
    expect(e.message).not.toContain('\n')
  })
})

describe('Modbus README', () => {
  it('the sample config in the README is valid, with every transport and its tags', () => {
    const readme = readFileSync('connectors/modbus/README.md', 'utf8')
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1] as string) as unknown)
    const { sources } = blocks[0] as { sources: Record<string, unknown>[] }
    const tags = blocks[1] as Record<string, unknown>[]
    expect(new Set(sources.map((s) => s['transport'] ?? 'tcp'))).toStrictEqual(new Set(['tcp', 'rtu', 'rtu-over-tcp']))
    const cfg = parse(EXAMPLE) as Record<string, any>
    cfg.sources = [cfg.sources[0], ...sources]
    for (const m of cfg.lines[0].machines) delete m.energy
    tags.forEach((tag, i) => (cfg.lines[0].machines[i].energy = { kwh: tag }))
    const parsed = parseEdgeConfig(stringify(cfg), 'README.md')
    expect(parsed.sources.map((s) => s.id)).toStrictEqual(['plc-smt1', 'meters', 'meter-press-1', 'meter-press-2', 'boiler', 'old-plc'])
    // addressBase 1: the manual's register 1 is protocol address 0
    expect(parsed.machines[2]?.energy?.kwh).toMatchObject({ source: 'old-plc', address: 0, bit: 3 })
    for (const s of parsed.sources) {
      if (s.protocol === 'modbus') expect(() => new ModbusSource(modbusSourceOptions(s, [], silentLogger))).not.toThrow()
    }
  })
})
