// OpcuaSource's tag groups against the node-opcua server: batched monitored items, deadbands
// (and a server that refuses them), and polled reads.
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../connectors/common/logger.ts'
import { routeNodeOpcuaLogs } from '../../connectors/opcua/node-opcua-logs.ts'
import { startOpcuaSimulator, type OpcuaSimulator, type SimulatedNode } from '../../connectors/opcua/simulator.ts'
import { OpcuaSource } from '../../connectors/opcua/source.ts'
import type { OpcuaSourceOptions } from '../../connectors/opcua/source-options.ts'
import { waitFor } from '../support/wait.ts'
import { record, sleep } from './opcua-recorder.ts'

const sims: OpcuaSimulator[] = []
const sources: OpcuaSource[] = []

beforeAll(() => {
  routeNodeOpcuaLogs(createLogger({ level: process.env['LOG_LEVEL'] ?? 'silent' }))
})

afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()))
  await Promise.all(sims.splice(0).map((s) => s.stop()))
})

async function sim(nodes: readonly SimulatedNode[]): Promise<OpcuaSimulator> {
  const s = await startOpcuaSimulator({ nodes })
  sims.push(s)
  return s
}

function source(endpoint: string, opts: Partial<OpcuaSourceOptions> = {}): OpcuaSource {
  const src = new OpcuaSource({ id: 'plc-line1', endpoint, reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 500, samplingIntervalMs: 0, ...opts })
  sources.push(src)
  return src
}

const TEMP = 'ns=1;s=Oven.Temp' // Double with an EURange of 0..200
const PRESSURE = 'ns=1;s=Oven.Pressure' // Double without an EURange
const RECIPE = 'ns=1;s=Oven.Recipe' // String
const OVEN: SimulatedNode[] = [
  { nodeId: TEMP, dataType: 'Double', initial: 100, euRange: { low: 0, high: 200 } },
  { nodeId: PRESSURE, dataType: 'Double', initial: 1 },
  { nodeId: RECIPE, dataType: 'String', initial: 'PCB-A' },
]

describe('OpcuaSource tag groups', () => {
  it('OpcuaSource creates monitored items in calls of at most monitoredItemsPerCall, and every item works', async () => {
    const nodes = Array.from({ length: 25 }, (_, i): SimulatedNode => ({ nodeId: `ns=1;s=Line.Tag${i}`, dataType: 'Int32', initial: i }))
    const s = await sim(nodes)
    const src = source(s.endpoint, { monitoredItemsPerCall: 10 })
    const rec = await record(src, nodes.map((n) => n.nodeId))
    await waitFor('25 initial values', () => rec.values.length === 25)
    expect(s.requestSizes('CreateMonitoredItems')).toEqual([10, 10, 5])
    expect(src.stats).toMatchObject({ createMonitoredItemsCalls: 3, monitoredItems: 25, notifications: 25 })
    s.setValue('ns=1;s=Line.Tag24', 99)
    await waitFor('the change of the last item', () => rec.valuesOf('ns=1;s=Line.Tag24').includes(99))
  })

  it('OpcuaSource applies an absolute deadband to numeric nodes only', async () => {
    const s = await sim(OVEN)
    const src = source(s.endpoint, { deadband: { type: 'absolute', value: 5 } })
    const rec = await record(src, [TEMP, RECIPE])
    await waitFor('both initial values', () => rec.values.length === 2)
    for (const [temp, recipe] of [[103, 'PCB-B'], [104.9, 'PCB-C'], [106, 'PCB-D'], [110, 'PCB-E'], [111.5, 'PCB-F']] as const) {
      s.setValue(TEMP, temp)
      s.setValue(RECIPE, recipe)
      await sleep(30)
    }
    await waitFor('every recipe change', () => rec.valuesOf(RECIPE).length === 6)
    await sleep(300)
    // Reported when more than 5 away from the last reported value: 100 -> 106 -> 111.5.
    expect(rec.valuesOf(TEMP)).toEqual([100, 106, 111.5])
    // A String node gets no filter: every change.
    expect(rec.valuesOf(RECIPE)).toEqual(['PCB-A', 'PCB-B', 'PCB-C', 'PCB-D', 'PCB-E', 'PCB-F'])
    expect(src.stats.deadbandFailures).toBe(0)
    // The String node went out without the filter, in a call of its own.
    expect(s.requestSizes('CreateMonitoredItems')).toEqual([1, 1])
  })

  it('OpcuaSource applies a percent deadband of the node\'s EURange in a group of its own', async () => {
    const s = await sim(OVEN)
    const src = source(s.endpoint, { groups: [{ name: 'temps', deadband: { type: 'percent', value: 5 } }] })
    // 5 % of 0..200 is 10.
    const rec = await record(src, [{ node: TEMP, group: 'temps' }, PRESSURE])
    await waitFor('both initial values', () => rec.values.length === 2)
    for (const v of [105, 109, 111, 115, 121.5]) {
      s.setValue(TEMP, v)
      s.setValue(PRESSURE, v)
      await sleep(30)
    }
    await waitFor('every pressure change (default group: no deadband)', () => rec.valuesOf(PRESSURE).length === 6)
    await sleep(300)
    expect(rec.valuesOf(TEMP)).toEqual([100, 111, 121.5])
    expect(src.stats.deadbandFailures).toBe(0)
  })

  it('OpcuaSource monitors a node without the filter when the server refuses a percent deadband (no EURange), and counts it', async () => {
    const s = await sim(OVEN)
    const src = source(s.endpoint, { deadband: { type: 'percent', value: 5 } })
    const rec = await record(src, [PRESSURE, TEMP])
    await waitFor('both initial values', () => rec.values.length === 2)
    expect(src.stats).toMatchObject({ deadbandFailures: 1, monitoredItems: 2 })
    expect(rec.nodeErrors).toEqual([])
    // The first call asked for both with the filter; the second for the refused one without it.
    expect(s.requestSizes('CreateMonitoredItems')).toEqual([2, 1])
    for (const v of [1.5, 2, 2.5]) {
      s.setValue(PRESSURE, v)
      await sleep(30)
    }
    await waitFor('every pressure change', () => rec.valuesOf(PRESSURE).length === 4)
    expect(rec.valuesOf(PRESSURE)).toEqual([1, 1.5, 2, 2.5])
  })

  it('OpcuaSource reads a poll group every pollInterval with the Read service and reports a node the server lacks once', async () => {
    const s = await sim(OVEN)
    const missing = 'ns=1;s=Oven.NoSuchTag'
    const src = source(s.endpoint, { groups: [{ name: 'slow', mode: 'poll', pollIntervalMs: 200 }] })
    const rec = await record(src, [TEMP, { node: RECIPE, group: 'slow' }, { node: missing, group: 'slow' }])
    await waitFor('a few polls', () => rec.of(RECIPE).length >= 3, 5_000)
    expect(rec.valuesOf(RECIPE).slice(0, 3)).toEqual(['PCB-A', 'PCB-A', 'PCB-A'])
    s.setValue(RECIPE, 'PCB-B', Date.now(), 'UncertainLastUsableValue')
    await waitFor('the polled change', () => rec.valuesOf(RECIPE).includes('PCB-B'))
    expect(rec.of(RECIPE).at(-1)).toMatchObject({ value: 'PCB-B', quality: 'uncertain', status: 'UncertainLastUsableValue' })
    await sleep(500)
    expect(rec.nodeErrors.map((e) => [e.nodeId, e.error.code])).toEqual([[missing, 'SHOPFLOOR_OPCUA_BAD_NODE']])
    expect(rec.of(missing)).toMatchObject([{ value: null, quality: 'bad', status: 'BadNodeIdUnknown' }])
    // Polled nodes get no monitored item; each poll is one Read of both.
    expect(s.requestSizes('CreateMonitoredItems')).toEqual([1])
    const stats = src.stats
    expect(stats.readCalls).toBeGreaterThanOrEqual(4)
    expect(stats.reads).toBe(stats.readCalls * 2)
    expect(stats.uncertainQualityValues).toBeGreaterThanOrEqual(1)
    expect(stats.badQualityValues).toBe(1)
  })
})
