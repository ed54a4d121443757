import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { ConfigError, parseEdgeConfig } from '../../edge/index.ts'

const EXAMPLE = 'edge/examples/smt-line.yaml'
const example = (): Record<string, any> => parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, any>

function errorOf(mutate: (c: Record<string, any>) => void): ConfigError {
  const c = example()
  mutate(c)
  try {
    parseEdgeConfig(stringify(c), 'gw.yaml')
  } catch (e) {
    if (e instanceof ConfigError) return e
    throw e
  }
  throw new Error('config was accepted')
}

describe('parseEdgeConfig', () => {
  it('parseEdgeConfig accepts the shipped example and applies defaults', () => {
    const cfg = parseEdgeConfig(readFileSync(EXAMPLE, 'utf8'), EXAMPLE)
    expect(cfg.machines.map((m) => m.path)).toEqual([
      'hcmc/vsip-1/saigon-pcb/smt/smt-1/printer',
      'hcmc/vsip-1/saigon-pcb/smt/smt-1/pick-place',
      'hcmc/vsip-1/saigon-pcb/smt/smt-1/reflow',
      'hcmc/vsip-1/saigon-pcb/smt/smt-1/aoi',
    ])
    expect(cfg.machines.map((m) => m.endOfLine)).toEqual([false, false, false, true])
    expect(cfg.machines[0]?.lineIdealCycleS).toBe(4.5) // the bottleneck's
    expect(cfg.agent.heartbeatIntervalMs).toBe(10_000)
    expect(cfg.machines[0]?.counts?.rollover).toBe(2 ** 32)
  })

  // Each case: a mistake, the field path the error must name, and what it must say is allowed.
  it.each([
    ['an unknown key', (c: any) => (c.lines[0].machines[1].colour = 'red'), 'lines[0].machines[1].colour', 'allowed: id, name, idealCycleTime'],
    ['a wrong type', (c: any) => (c.lines[0].machines[0].idealCycleTime = 'fast'), 'lines[0].machines[0].idealCycleTime', 'must be number (got "fast")'],
    ['a missing tag', (c: any) => delete c.lines[0].machines[2].counts.total, 'lines[0].machines[2].counts.total', 'is required'],
    ['a bad byte order', (c: any) => (c.lines[0].machines[3].energy.kw.byteOrder = 'XYZW'), 'lines[0].machines[3].energy.kw.byteOrder', 'must be one of ABCD, DCBA, BADC, CDAB'],
    ['an unknown state', (c: any) => (c.lines[0].machines[0].state.map['6'] = 'SLEEPING'), 'lines[0].machines[0].state.map["6"]', 'must be one of RUNNING, IDLE, DOWN, SETUP, PLANNED_STOP, OFFLINE'],
    ['a tag naming no source', (c: any) => (c.lines[0].machines[0].state.tag.source = 'plc-9'), 'lines[0].machines[0].state.tag.source', 'names no source (defined: plc-smt1, meters'],
    ['a Modbus tag without a type', (c: any) => delete c.lines[0].machines[0].energy.kwh.type, 'lines[0].machines[0].energy.kwh.type', 'is required: source "meters" is a Modbus source'],
    ['an OPC UA tag with Modbus keys', (c: any) => (c.lines[0].machines[0].state.tag.address = 3), 'lines[0].machines[0].state.tag.address', 'does not apply'],
    ['an unknown protocol', (c: any) => (c.sources[1].protocol = 'profinet'), 'sources[1].protocol', 'must be one of opcua, modbus'],
    ['a source with an unknown key', (c: any) => (c.sources[1].baud = 9600), 'sources[1].baud', 'allowed: id, protocol, host, port, unitId'],
    ['a path segment with a space', (c: any) => (c.site.factory = 'saigon pcb'), 'site.factory', 'letters, digits'],
    ['a missing section', (c: any) => delete c.lines, 'lines', 'is required'],
  ])('parseEdgeConfig rejects %s naming the path and what is allowed', (_name, mutate, path, allowed) => {
    const e = errorOf(mutate)
    expect(e.code).toBe('SHOPFLOOR_CONFIG')
    expect(e.path).toBe(path)
    expect(e.message).toContain(`gw.yaml:`)
    expect(e.message).toContain(`${path} `)
    expect(e.message).toContain(allowed)
    expect(e.message).not.toContain('\n')
  })

  it('parseEdgeConfig points at the line of the offending key', () => {
    const text = readFileSync(EXAMPLE, 'utf8').replace('  id: gw-smt-1', '  id: gw-smt-1\n  colour: red')
    const e = (() => {
      try {
        parseEdgeConfig(text, 'gw.yaml')
      } catch (err) {
        return err as ConfigError
      }
      throw new Error('accepted')
    })()
    const line = text.split('\n').findIndex((l) => l.includes('colour')) + 1
    expect(e.message.startsWith(`gw.yaml:${line}: agent.colour is not a known key`)).toBe(true)
  })

  it('parseEdgeConfig reports YAML syntax errors with their line', () => {
    expect(() => parseEdgeConfig('agent:\n  id: [unclosed\n', 'gw.yaml')).toThrowError(/^gw\.yaml:\d+: is not valid YAML/)
  })

  it('parseEdgeConfig rejects two machines with the same id in a line', () => {
    const e = errorOf((c) => (c.lines[0].machines[1].id = 'printer'))
    expect(e.path).toBe('lines[0].machines[1].id')
  })
})
