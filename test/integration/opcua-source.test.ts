import { createServer } from 'node:net'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../connectors/common/logger.ts'
import { OpcuaError } from '../../connectors/opcua/errors.ts'
import { routeNodeOpcuaLogs } from '../../connectors/opcua/node-opcua-logs.ts'
import { startOpcuaSimulator, type OpcuaSimulator, type SimulatedNode } from '../../connectors/opcua/simulator.ts'
import { OpcuaSource } from '../../connectors/opcua/source.ts'
import type { OpcuaSourceOptions } from '../../connectors/opcua/source-options.ts'
import { freePort, waitFor } from '../support/wait.ts'
import { record as start, sleep } from './opcua-recorder.ts'

const STATE = 'ns=1;s=Line1.Printer.State'
const COUNT = 'ns=1;s=Line1.Printer.GoodCount'

const sims: OpcuaSimulator[] = []
const sources: OpcuaSource[] = []

beforeAll(() => {
  // node-opcua's own warnings (expected ones: a server that is down, optional limits it lacks)
  // would otherwise be printed to stdout; LOG_LEVEL=warn shows them.
  routeNodeOpcuaLogs(createLogger({ level: process.env['LOG_LEVEL'] ?? 'silent' }))
})

afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()))
  await Promise.all(sims.splice(0).map((s) => s.stop()))
})

async function sim(nodes: readonly SimulatedNode[], port = 0): Promise<OpcuaSimulator> {
  const s = await startOpcuaSimulator({ port, nodes })
  sims.push(s)
  return s
}

function source(endpoint: string, opts: Partial<OpcuaSourceOptions> = {}): OpcuaSource {
  const src = new OpcuaSource({
    id: 'plc-line1',
    endpoint,
    reconnectInitialDelayMs: 100,
    reconnectMaxDelayMs: 500,
    connectTimeoutMs: 5_000,
    ...opts,
  })
  sources.push(src)
  return src
}



/** Source timestamps a minute in the past, on a ms part no clock would produce by chance: fixed per file. */
const BASE_TS = Math.floor(Date.now() / 1000) * 1000 - 60_000 + 137
const pastTs = (offsetMs: number): number => BASE_TS + offsetMs

describe('OpcuaSource', () => {
  it('OpcuaSource delivers every change of a burst inside one publishing interval with its exact source timestamp, in order', async () => {
    const s = await sim([{ nodeId: STATE, dataType: 'Int32', initial: 0 }])
    // samplingInterval 0: report by exception, so a burst faster than any sampling rate is kept whole.
    const rec = await start(source(s.endpoint, { samplingIntervalMs: 0, publishingIntervalMs: 500 }), [STATE])
    await waitFor('the initial value', () => rec.of(STATE).length === 1)

    const stamps = [0, 20, 40, 60, 80].map(pastTs)
    for (const [i, ts] of stamps.entries()) {
      s.setValue(STATE, i + 1, ts)
      await sleep(20)
    }
    await waitFor('the 5 changes', () => rec.of(STATE).length === 6)

    const burst = rec.of(STATE).slice(1)
    expect(burst.map((v) => v.value)).toEqual([1, 2, 3, 4, 5])
    expect(burst.map((v) => v.sourceTs)).toEqual(stamps)
    expect(burst.every((v) => v.quality === 'good' && v.status === undefined)).toBe(true)
    expect(burst.every((v) => v.receiveTs >= v.sourceTs)).toBe(true)
  })

  it('OpcuaSource interleaves the queued values of several nodes by source timestamp', async () => {
    const s = await sim([
      { nodeId: STATE, dataType: 'Int32', initial: 0 },
      { nodeId: COUNT, dataType: 'UInt32', initial: 0 },
    ])
    const rec = await start(source(s.endpoint, { samplingIntervalMs: 0, publishingIntervalMs: 1_000 }), [STATE, COUNT])
    await waitFor('both initial values', () => rec.values.length === 2)
    rec.values.length = 0

    // One publishing interval: node-opcua hands these over grouped by node (state, state, count, count).
    s.setValue(STATE, 1, pastTs(0))
    s.setValue(COUNT, 10, pastTs(1))
    s.setValue(STATE, 2, pastTs(2))
    s.setValue(COUNT, 11, pastTs(3))
    await waitFor('4 values', () => rec.values.length === 4)

    expect(rec.values.map((v) => [v.nodeId, v.value.value])).toEqual([
      [STATE, 1],
      [COUNT, 10],
      [STATE, 2],
      [COUNT, 11],
    ])
  })

  it('OpcuaSource keeps the source timestamp of a sampled value at the default sampling interval', async () => {
    const s = await sim([{ nodeId: STATE, dataType: 'Int32', initial: 0 }])
    const rec = await start(source(s.endpoint), [STATE])
    await waitFor('the initial value', () => rec.of(STATE).length === 1)
    const ts = pastTs(0)
    s.setValue(STATE, 7, ts)
    await waitFor('the change', () => rec.of(STATE).length === 2)
    expect(rec.of(STATE)[1]).toMatchObject({ value: 7, sourceTs: ts, quality: 'good' })
  })

  it('OpcuaSource converts each data type to the right JS value', async () => {
    const nodes: SimulatedNode[] = [
      { nodeId: 'ns=1;s=T.Int32', dataType: 'Int32', initial: -5 },
      { nodeId: 'ns=1;s=T.UInt32', dataType: 'UInt32', initial: 4_000_000_000 },
      { nodeId: 'ns=1;s=T.Int16', dataType: 'Int16', initial: -300 },
      { nodeId: 'ns=1;s=T.UInt16', dataType: 'UInt16', initial: 65_535 },
      { nodeId: 'ns=1;s=T.Double', dataType: 'Double', initial: 3.25 },
      { nodeId: 'ns=1;s=T.Float', dataType: 'Float', initial: 21.5 },
      { nodeId: 'ns=1;s=T.String', dataType: 'String', initial: 'Đang chạy' },
      { nodeId: 'ns=1;s=T.Boolean', dataType: 'Boolean', initial: true },
      { nodeId: 'ns=1;s=T.Int64', dataType: 'Int64', initial: -1_234_567_890_123 },
      { nodeId: 'ns=1;s=T.Int64Big', dataType: 'Int64', initial: -(2n ** 62n) - 3n },
      { nodeId: 'ns=1;s=T.UInt64', dataType: 'UInt64', initial: 2n ** 64n - 1n },
    ]
    const s = await sim(nodes)
    const src = source(s.endpoint)
    const rec = await start(src, nodes.map((n) => n.nodeId))
    await waitFor('all initial values', () => rec.values.length === nodes.length)

    const expected = new Map<string, unknown>([
      ['ns=1;s=T.Int32', -5],
      ['ns=1;s=T.UInt32', 4_000_000_000],
      ['ns=1;s=T.Int16', -300],
      ['ns=1;s=T.UInt16', 65_535],
      ['ns=1;s=T.Double', 3.25],
      ['ns=1;s=T.Float', 21.5],
      ['ns=1;s=T.String', 'Đang chạy'],
      ['ns=1;s=T.Boolean', true],
      // Within 2^53 an Int64 is a number; beyond, a bigint, never a rounded number.
      ['ns=1;s=T.Int64', -1_234_567_890_123],
      ['ns=1;s=T.Int64Big', -(2n ** 62n) - 3n],
      ['ns=1;s=T.UInt64', 2n ** 64n - 1n],
    ])
    for (const [nodeId, value] of expected) expect(rec.of(nodeId)[0]?.value, nodeId).toEqual(value)

    const read = await src.readOnce([...expected.keys()])
    expect(read.map((v) => v.value)).toEqual([...expected.values()])

    s.setValue('ns=1;s=T.Int64', 2n ** 40n, pastTs(0))
    s.setValue('ns=1;s=T.Boolean', false, pastTs(1))
    await waitFor('the two changes', () => rec.values.length === nodes.length + 2)
    expect(rec.of('ns=1;s=T.Int64')[1]?.value).toBe(2 ** 40)
    expect(rec.of('ns=1;s=T.Boolean')[1]?.value).toBe(false)
  })

  it('OpcuaSource reports bad and uncertain status codes set on the server as quality', async () => {
    const s = await sim([{ nodeId: STATE, dataType: 'Int32', initial: 1 }])
    const rec = await start(source(s.endpoint, { samplingIntervalMs: 0 }), [STATE])
    await waitFor('the initial value', () => rec.of(STATE).length === 1)

    s.setValue(STATE, 2, pastTs(0), 'bad')
    s.setValue(STATE, 3, pastTs(1), 'BadSensorFailure')
    s.setValue(STATE, 4, pastTs(2), 'uncertain')
    s.setValue(STATE, 5, pastTs(3))
    await waitFor('4 changes', () => rec.of(STATE).length === 5)

    expect(rec.of(STATE).slice(1)).toMatchObject([
      // A Bad value must not be used, whatever number came with it.
      { value: null, quality: 'bad', status: 'Bad', sourceTs: pastTs(0) },
      { value: null, quality: 'bad', status: 'BadSensorFailure', sourceTs: pastTs(1) },
      { value: 4, quality: 'uncertain', status: 'Uncertain', sourceTs: pastTs(2) },
      { value: 5, quality: 'good', sourceTs: pastTs(3) },
    ])
    expect(rec.of(STATE)[4]?.status).toBeUndefined()
  })

  it('OpcuaSource reports an unknown node id by name while the other nodes keep working', async () => {
    const missing = 'ns=1;s=Line1.Printer.NoSuchTag'
    const s = await sim([{ nodeId: STATE, dataType: 'Int32', initial: 0 }])
    const src = source(s.endpoint)
    const rec = await start(src, [STATE, missing])

    expect(src.connected).toBe(true)
    expect(rec.connection).toEqual([{ connected: true }])
    expect(rec.nodeErrors).toHaveLength(1)
    const [report] = rec.nodeErrors
    expect(report?.nodeId).toBe(missing)
    expect(report?.error).toBeInstanceOf(OpcuaError)
    expect(report?.error).toMatchObject({ code: 'SHOPFLOOR_OPCUA_BAD_NODE', canRetry: false, nodeId: missing })
    expect(report?.error.message).toContain(`node "${missing}"`)
    expect(report?.error.message).toContain('BadNodeIdUnknown')
    expect(report?.error.message).toContain('server "plc-line1" (opc.tcp://127.0.0.1:')
    expect(rec.of(missing)).toMatchObject([{ value: null, quality: 'bad', status: 'BadNodeIdUnknown' }])

    await waitFor('the initial value', () => rec.of(STATE).length === 1)
    s.setValue(STATE, 9, pastTs(0))
    await waitFor('the change', () => rec.of(STATE).length === 2)
    expect(rec.of(STATE)[1]).toMatchObject({ value: 9, sourceTs: pastTs(0) })

    const read = await src.readOnce([STATE, missing])
    expect(read).toMatchObject([
      { value: 9, quality: 'good' },
      { value: null, quality: 'bad', status: 'BadNodeIdUnknown' },
    ])
  })

  it('OpcuaSource rejects a malformed node id before connecting', async () => {
    const src = source('opc.tcp://127.0.0.1:1/UA/shopfloor')
    const started = src.start([STATE, 'Line1.Printer.State'], () => undefined)
    await expect(started).rejects.toMatchObject({ code: 'SHOPFLOOR_OPCUA_BAD_NODE', nodeId: 'Line1.Printer.State' })
    await expect(started).rejects.toThrow('"Line1.Printer.State" is not a node id')
  })

  it('OpcuaSource reports disconnected, then connected, across a server restart, and delivers values set after it', async () => {
    const s1 = await sim([{ nodeId: STATE, dataType: 'Int32', initial: 1 }])
    const port = s1.port
    const rec = await start(source(s1.endpoint, { samplingIntervalMs: 0 }), [STATE])
    await waitFor('the initial value', () => rec.of(STATE).length === 1)
    expect(rec.connection).toEqual([{ connected: true }])

    const stoppedAt = Date.now()
    await s1.stop()
    await waitFor('the disconnection', () => rec.connection.length === 2)
    expect(rec.connection[1]?.connected).toBe(false)
    expect(rec.connection[1]?.error).toMatchObject({ code: 'SHOPFLOOR_OPCUA_CONNECT', canRetry: true })

    await sleep(500) // a few failed reconnection attempts against a closed port
    const s2 = await sim([{ nodeId: STATE, dataType: 'Int32', initial: 2 }], port)
    await waitFor('the reconnection', () => rec.connection.length === 3, 20_000)
    const recoveredMs = Date.now() - stoppedAt
    expect(rec.connection.map((c) => c.connected)).toEqual([true, false, true])

    // The recreated monitored item first sends the current value, then every change.
    await waitFor('the current value after the restart', () => rec.of(STATE).some((v) => v.value === 2))
    const ts = pastTs(0)
    s2.setValue(STATE, 3, ts)
    await waitFor('the value set after the restart', () => rec.of(STATE).some((v) => v.value === 3))
    expect(rec.of(STATE).at(-1)).toMatchObject({ value: 3, sourceTs: ts, quality: 'good' })
    expect(recoveredMs).toBeLessThan(20_000)
    // The agent hears of the recovery before the values that follow it.
    expect(rec.timeline).toEqual(['up', '1', 'down', 'up', '2', '3'])
  })

  it('OpcuaSource reports a node that is gone after a server restart', async () => {
    const s1 = await sim([
      { nodeId: STATE, dataType: 'Int32', initial: 1 },
      { nodeId: COUNT, dataType: 'UInt32', initial: 5 },
    ])
    const rec = await start(source(s1.endpoint, { samplingIntervalMs: 0 }), [STATE, COUNT])
    await waitFor('both initial values', () => rec.values.length === 2)
    const port = s1.port
    await s1.stop()
    await waitFor('the disconnection', () => rec.connection.length === 2)
    // The new PLC program has no GoodCount any more.
    await sim([{ nodeId: STATE, dataType: 'Int32', initial: 2 }], port)
    await waitFor('the reconnection', () => rec.connection.length === 3, 20_000)
    await waitFor('the node error', () => rec.nodeErrors.length === 1)
    expect(rec.nodeErrors[0]).toMatchObject({ nodeId: COUNT, error: { code: 'SHOPFLOOR_OPCUA_BAD_NODE' } })
    expect(rec.of(COUNT).at(-1)).toMatchObject({ value: null, quality: 'bad', status: 'BadNodeIdUnknown' })
    await waitFor('the current state', () => rec.of(STATE).some((v) => v.value === 2))
  })

  it('OpcuaSource started while the server is down reports it unreachable, keeps retrying and connects when it comes up', async () => {
    const port = await freePort()
    const src = source(`opc.tcp://127.0.0.1:${port}/UA/shopfloor`, { connectTimeoutMs: 300, samplingIntervalMs: 0 })
    const began = Date.now()
    const rec = await start(src, [STATE])
    expect(Date.now() - began).toBeLessThan(3_000)
    expect(src.connected).toBe(false)
    expect(rec.connection).toHaveLength(1)
    expect(rec.connection[0]?.connected).toBe(false)
    expect(rec.connection[0]?.error).toMatchObject({ code: 'SHOPFLOOR_OPCUA_CONNECT', canRetry: true })
    await expect(src.readOnce([STATE])).rejects.toMatchObject({ code: 'SHOPFLOOR_OPCUA_CONNECT', canRetry: true })

    const s = await sim([{ nodeId: STATE, dataType: 'Int32', initial: 4 }], port)
    await waitFor('the connection', () => rec.connection.length === 2, 10_000)
    expect(rec.connection[1]).toEqual({ connected: true })
    await waitFor('the initial value', () => rec.of(STATE).length === 1)
    s.setValue(STATE, 5, pastTs(0))
    await waitFor('the change', () => rec.of(STATE).length === 2)
    expect(rec.of(STATE).map((v) => v.value)).toEqual([4, 5])
  })

  it('OpcuaSource notices a subscription the server dropped silently and recreates it', async () => {
    const s = await sim([{ nodeId: STATE, dataType: 'Int32', initial: 1 }])
    // Keep-alive every 3 x 100 ms: silence is noticed after 2 x 100 x (3 + 1) = 800 ms.
    const rec = await start(source(s.endpoint, { samplingIntervalMs: 0, publishingIntervalMs: 100, maxKeepAliveCount: 3 }), [STATE])
    await waitFor('the initial value', () => rec.of(STATE).length === 1)

    expect(s.dropSubscriptions()).toBe(1)
    s.setValue(STATE, 2, pastTs(0))
    await waitFor('the reconnection', () => rec.connection.length === 3, 5_000)
    expect(rec.connection.map((c) => c.connected)).toEqual([true, false, true])
    expect(rec.connection[1]?.error).toMatchObject({ code: 'SHOPFLOOR_OPCUA_SUBSCRIBE', canRetry: true })
    expect(rec.connection[1]?.error?.message).toContain('no data and no keep-alive')

    // The value set while nobody listened comes back as the new item's current value.
    await waitFor('the value set while the subscription was gone', () => rec.of(STATE).some((v) => v.value === 2))
    s.setValue(STATE, 3, pastTs(1))
    await waitFor('a later change', () => rec.of(STATE).some((v) => v.value === 3))
    expect(rec.of(STATE).at(-1)).toMatchObject({ value: 3, sourceTs: pastTs(1) })
  })

  it('OpcuaSource keeps delivering after the server closes its session', async () => {
    const s = await sim([{ nodeId: STATE, dataType: 'Int32', initial: 1 }])
    const rec = await start(source(s.endpoint, { samplingIntervalMs: 0, publishingIntervalMs: 100, maxKeepAliveCount: 3 }), [STATE])
    await waitFor('the initial value', () => rec.of(STATE).length === 1)

    expect(s.closeSessions()).toBe(1)
    await sleep(300)
    s.setValue(STATE, 2, pastTs(0))
    await waitFor('the change after the session was closed', () => rec.of(STATE).some((v) => v.value === 2), 10_000)
    expect(rec.of(STATE).at(-1)).toMatchObject({ value: 2, sourceTs: pastTs(0) })
    // However node-opcua repaired it, the listener ends up told the source is connected.
    expect(rec.connection.at(-1)).toEqual({ connected: true })
  })

  it('OpcuaSource stops promptly while it is still trying to make its first connection', async () => {
    const src = source(`opc.tcp://127.0.0.1:${await freePort()}/UA/shopfloor`, { connectTimeoutMs: 200 })
    const rec = await start(src, [STATE])
    const began = Date.now()
    await src.stop()
    expect(Date.now() - began).toBeLessThan(2_000)
    await sleep(300)
    expect(rec.timeline).toEqual(['down'])
  })

  it('OpcuaSource stops promptly while its server is down', async () => {
    const s = await sim([{ nodeId: STATE, dataType: 'Int32', initial: 1 }])
    const src = source(s.endpoint)
    const rec = await start(src, [STATE])
    await s.stop()
    await waitFor('the disconnection', () => rec.connection.length === 2)
    const began = Date.now()
    await src.stop()
    expect(Date.now() - began).toBeLessThan(2_000)
    expect(rec.connection).toHaveLength(2)
    await expect(src.readOnce([STATE])).rejects.toMatchObject({ code: 'SHOPFLOOR_OPCUA_STOPPED', canRetry: false })
  })
})
