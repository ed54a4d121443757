// The machine model: PLC values in, state changes, count and energy increments, samples out.
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import type { TagValue } from '../../connectors/index.ts'
import { ConfigError, parseEdgeConfig } from '../../edge/index.ts'
import { MachineModel, type ModelAnomaly, type ModelEvent } from '../../edge/model/machine-model.ts'

const node = (n: string) => ({ source: 'plc', node: `ns=1;s=${n}` })

function config(machine: Record<string, unknown>) {
  return parseEdgeConfig(
    stringify({
      agent: { id: 'gw' },
      site: { region: 'hcmc', park: 'vsip-1', factory: 'f' },
      sources: [{ id: 'plc', protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.1:4840' }],
      lines: [{ id: 'l1', area: 'a', machines: [{ id: 'm1', idealCycleTime: 2, state: { tag: node('State'), map: { '1': 'RUNNING', '2': 'IDLE' } }, ...machine }] }],
    }),
    'gw.yaml',
    {},
  )
}

function model(machine: Record<string, unknown> = {}) {
  const events: ModelEvent[] = []
  const anomalies: ModelAnomaly[] = []
  const cfg = config(machine).machines[0]
  if (!cfg) throw new Error('no machine')
  const m = new MachineModel(cfg, (e) => events.push(e), (a) => anomalies.push(a))
  return { m, events, anomalies }
}

let t = 1_000
const val = (value: TagValue['value'], quality: TagValue['quality'] = 'good'): TagValue => {
  t += 1000
  return { value, sourceTs: t, receiveTs: t + 5, quality }
}
const states = (events: ModelEvent[]) => events.flatMap((e) => (e.type === 'machine_state' ? [`${e.state}${e.reason ? `/${e.reason}` : ''}`] : []))

describe('state from a value map', () => {
  it('maps values, reports unmapped ones as DOWN with the value, and changes only on change', () => {
    const { m, events, anomalies } = model()
    for (const v of [1, 1, 2, 7, 1]) m.onValue('state', val(v))
    expect(states(events)).toEqual(['RUNNING', 'IDLE', 'DOWN/PLC_STATE_7', 'RUNNING'])
    expect(anomalies.map((a) => a.kind)).toEqual(['unmapped_state'])
  })

  it('is OFFLINE while the source is lost and on bad quality, back on the next good value', () => {
    const { m, events } = model()
    m.onValue('state', val(1))
    m.onConnection(false, t + 1)
    m.onValue('state', val(1))
    m.onValue('state', val(null, 'bad'))
    m.onValue('state', val(2))
    expect(states(events)).toEqual(['RUNNING', 'OFFLINE/NO_CONNECTION', 'RUNNING', 'OFFLINE/BAD_QUALITY', 'IDLE'])
  })
})

describe('state from bit rules on a status word', () => {
  const bits = [
    { bit: 3, state: 'DOWN', reason: 'E_STOP' }, // checked first: an emergency stop wins over anything
    { mask: 0b110, equals: 0b010, state: 'RUNNING' },
    { mask: 0b110, equals: 0b100, state: 'SETUP' },
  ]
  it.each([
    [0b0010, 'RUNNING'],
    [0b1010, 'DOWN/E_STOP'],
    [0b0100, 'SETUP'],
    [0b0001, 'RUNNING'], // no rule: falls back to the value map ("1")
    [0b0110, 'DOWN/PLC_STATE_6'], // neither rule nor map
  ])('status word %i -> %s', (word, want) => {
    const { m, events } = model({ state: { tag: node('Status'), bits, map: { '1': 'RUNNING' } } })
    m.onValue('state', val(word))
    expect(states(events)).toEqual([want])
  })

  it('takes the reason tag for a rule without its own reason', () => {
    const { m, events } = model({ state: { tag: node('Status'), bits: [{ bit: 0, state: 'IDLE' }], reason: node('Reason') } })
    m.onValue('reason', val('NO_MATERIAL'))
    m.onValue('state', val(1))
    expect(states(events)).toEqual(['IDLE/NO_MATERIAL'])
  })

  it.each([
    [{ bits: [{ bit: 1, mask: 2, state: 'DOWN' }] }, 'lines[0].machines[0].state.bits[0].mask', 'not both'],
    [{ bits: [{ mask: 0b11, equals: 0b100, state: 'DOWN' }] }, 'lines[0].machines[0].state.bits[0].equals', 'could never match'],
    [{ bits: [{ bit: 1, equals: 2, state: 'DOWN' }] }, 'lines[0].machines[0].state.bits[0].equals', 'applies with mask'],
    [{ map: {} }, 'lines[0].machines[0].state.map', 'or give bits rules'],
  ])('rejects a bad rule set %#', (state, path, says) => {
    try {
      config({ state: { tag: node('Status'), ...state } })
      throw new Error('accepted')
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      expect((e as ConfigError).path).toBe(path)
      expect((e as ConfigError).message).toContain(says)
    }
  })
})

describe('state and reason written together', () => {
  const at = (value: TagValue['value'], ts: number): TagValue => ({ value, sourceTs: ts, receiveTs: ts + 5, quality: 'good' })
  const timeline = (events: ModelEvent[]) => events.flatMap((e) => (e.type === 'machine_state' ? [`${e.ts} ${e.state}${e.reason ? `/${e.reason}` : ''}`] : []))
  const map = { '1': 'RUNNING', '2': 'IDLE', '3': 'DOWN', '5': 'PLANNED_STOP' }

  it('makes one event per change when the reason is delivered before the state with the same timestamp', async () => {
    const { m, events } = model({ state: { tag: node('State'), map, reason: node('Reason') } })
    // The order an OPC UA client delivers them in: the reason item before the state item.
    for (const [ts, reason, state] of [[100, '', 1], [200, 'JAM', 3], [300, '', 1], [400, 'NO_MATERIAL', 2], [500, 'BREAK', 5], [600, '', 1]] as const) {
      m.onValue('reason', at(reason, ts))
      m.onValue('state', at(state, ts))
    }
    await Promise.resolve()
    expect(timeline(events)).toEqual(['100 RUNNING', '200 DOWN/JAM', '300 RUNNING', '400 IDLE/NO_MATERIAL', '500 PLANNED_STOP/BREAK', '600 RUNNING'])
  })

  it('still reports a reason that changes on its own, at its time', async () => {
    const { m, events } = model({ state: { tag: node('State'), map, reason: node('Reason') } })
    m.onValue('reason', at('JAM', 100))
    m.onValue('state', at(3, 100))
    m.onValue('reason', at('NOZZLE_CLOG', 150))
    await Promise.resolve()
    m.onValue('reason', at('FEEDER_EMPTY', 170))
    m.onValue('reason', at('', 200))
    m.onValue('state', at(1, 200))
    await Promise.resolve()
    expect(timeline(events)).toEqual(['100 DOWN/JAM', '150 DOWN/NOZZLE_CLOG', '170 DOWN/FEEDER_EMPTY', '200 RUNNING'])
  })
})

describe('counts and energy', () => {
  it('turns counters into increments across a rollover and ignores a reset', () => {
    const { m, events, anomalies } = model({ counts: { total: node('Total'), rollover: 100 } })
    for (const v of [95, 98, 3, 5, 0, 2]) m.onValue('total', val(v))
    expect(events.flatMap((e) => (e.type === 'production_count' ? [e.produced] : []))).toEqual([3, 5, 2, 2])
    expect(anomalies.map((a) => a.kind)).toEqual(['counter_rollover', 'counter_reset'])
  })

  it('sums kWh increments and does not sum a meter reset', () => {
    const { m, events } = model({ energy: { kwh: node('Kwh') } })
    for (const v of [10, 10.5, 11, 2, 2.25]) m.onValue('kwh', val(v))
    expect(events.flatMap((e) => (e.type === 'energy_reading' ? [e.kwh] : []))).toEqual([0, 0.5, 0.5, 0, 0.25])
  })
})

describe('samples with a deadband', () => {
  const sampled = (events: ModelEvent[]) => events.flatMap((e) => (e.type === 'tag_sample' ? [`${e.tag}=${String(e.value)}:${e.quality}`] : []))

  it('absolute: reports a value only when it moved at least the deadband from the last reported one', () => {
    const { m, events } = model({ samples: [{ name: 'temp', tag: node('Temp'), deadband: 0.5 }] })
    for (const v of [240, 240.2, 240.4, 240.5, 239.9, 239.95, 241]) m.onSample('temp', val(v))
    expect(sampled(events)).toEqual(['temp=240:GOOD', 'temp=240.5:GOOD', 'temp=239.9:GOOD', 'temp=241:GOOD'])
  })

  it('percent: of the last reported value', () => {
    const { m, events } = model({ samples: [{ name: 'p', tag: node('P'), deadband: '10%' }] })
    for (const v of [100, 109, 110, 120, 121.5]) m.onSample('p', val(v))
    expect(sampled(events)).toEqual(['p=100:GOOD', 'p=110:GOOD', 'p=121.5:GOOD'])
  })

  it('reports a change of quality even inside the deadband, and strings on every change', () => {
    const { m, events } = model({ samples: [{ name: 'temp', tag: node('T'), deadband: 5 }, { name: 'recipe', tag: node('R') }] })
    m.onSample('temp', val(20))
    m.onSample('temp', val(21, 'uncertain'))
    m.onSample('recipe', val('PCB-A'))
    m.onSample('recipe', val('PCB-A'))
    m.onSample('recipe', val('PCB-B'))
    expect(sampled(events)).toEqual(['temp=20:GOOD', 'temp=21:UNCERTAIN', 'recipe=PCB-A:GOOD', 'recipe=PCB-B:GOOD'])
  })

  it('rejects two samples of one machine with the same name', () => {
    expect(() => config({ samples: [{ name: 'x', tag: node('A') }, { name: 'x', tag: node('B') }] })).toThrowError(/samples\[1\]\.name "x" is used by an earlier sample/)
  })
})
