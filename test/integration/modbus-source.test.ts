import { createServer } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TagValue } from '../../connectors/common/tag-value.ts'
import { ModbusError } from '../../connectors/modbus/errors.ts'
import { startModbusSimulator, type ModbusSimulator, type ModbusSimulatorOptions } from '../../connectors/modbus/simulator.ts'
import { ModbusSource, type ModbusSourceOptions } from '../../connectors/modbus/source.ts'
import type { ModbusTag } from '../../connectors/modbus/types.ts'
import { freePort } from '../support/wait.ts'

const sims: ModbusSimulator[] = []
const sources: ModbusSource[] = []
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()))
  await Promise.all(sims.splice(0).map((s) => s.stop()))
})

async function sim(opts: ModbusSimulatorOptions): Promise<ModbusSimulator> {
  const s = await startModbusSimulator(opts)
  sims.push(s)
  return s
}

function source(s: { host: string; port: number }, tags: readonly ModbusTag[], opts: Partial<ModbusSourceOptions> = {}): ModbusSource {
  const src = new ModbusSource({ id: 'meters', host: s.host, port: s.port, pollIntervalMs: 50, timeoutMs: 500, reconnectDelayMs: 50, tags, ...opts })
  sources.push(src)
  return src
}

/** Starts the source and records what it delivers and reports. */
function record(src: ModbusSource): { batches: ReadonlyMap<string, TagValue>[]; events: { connected: boolean; error?: Error }[]; last(): ReadonlyMap<string, TagValue> } {
  const batches: ReadonlyMap<string, TagValue>[] = []
  const events: { connected: boolean; error?: Error }[] = []
  src.start(
    (values) => batches.push(values),
    (connected, error) => events.push(error === undefined ? { connected } : { connected, error }),
  )
  return {
    batches,
    events,
    last() {
      const b = batches.at(-1)
      if (b === undefined) throw new Error('no values delivered yet')
      return b
    },
  }
}

const value = (batch: ReadonlyMap<string, TagValue>, name: string): TagValue['value'] | undefined => batch.get(name)?.value

const meterTags: readonly ModbusTag[] = [
  { name: 'energy', table: 'holding', address: 0, type: 'UINT32', scale: 0.01 },
  { name: 'power', table: 'holding', address: 2, type: 'FLOAT32', byteOrder: 'CDAB' },
  { name: 'temp', table: 'holding', address: 4, type: 'INT16', scale: 0.1 },
  { name: 'model', table: 'holding', address: 5, type: 'STRING', length: 4 },
  { name: 'serial', table: 'holding', address: 9, type: 'UINT64' },
  { name: 'running', table: 'input', address: 0, type: 'BOOL', bit: 3 },
  { name: 'door', table: 'coil', address: 5, type: 'BOOL' },
  { name: 'estop', table: 'discrete', address: 2, type: 'BOOL' },
]


describe('ModbusSource', () => {
  it('reads tags of several types in one request per table', async () => {
    const s = await sim({ units: { 1: { holding: 20, input: 4, coils: 8, discrete: 8 } } })
    for (const [name, v] of [['energy', 1234.56], ['power', 7.5], ['temp', -12.3], ['model', 'PM55'], ['serial', 2n ** 60n], ['running', true], ['door', true], ['estop', false]] as const) {
      const tag = meterTags.find((t) => t.name === name)
      if (tag === undefined) throw new Error(name)
      s.setTagValue(1, tag, v)
    }
    const src = source(s, meterTags)
    expect(src.requests.map((r) => [r.table, r.address, r.count])).toStrictEqual([['holding', 0, 13], ['input', 0, 1], ['coil', 5, 1], ['discrete', 2, 1]])

    const before = Date.now()
    const values = await src.readOnce()
    expect([...values.keys()]).toStrictEqual(meterTags.map((t) => t.name))
    expect(Object.fromEntries([...values].map(([k, v]) => [k, v.value]))).toStrictEqual({
      energy: 1234.56,
      power: 7.5,
      temp: -12.3,
      model: 'PM55',
      serial: 2n ** 60n,
      running: true,
      door: true,
      estop: false,
    })
    for (const v of values.values()) {
      expect(v.quality).toBe('good')
      expect(v.sourceTs).toBeGreaterThanOrEqual(before)
      expect(v.sourceTs).toBeLessThanOrEqual(Date.now())
    }
    expect(s.stats.requests).toBe(4)
  })

  it('polls on its interval and sees values change between polls', async () => {
    let counter = 0
    const s = await sim({
      units: { 1: { holding: 4 } },
      // A counter that moves each time the PLC is asked, as a part counter on a running line.
      beforeRead: () => s.setValue(1, 'holding', 0, ++counter, 'UINT32'),
    })
    const src = source(s, [{ name: 'parts', table: 'holding', address: 0, type: 'UINT32' }])
    const rec = record(src)
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(4), { timeout: 5000 })
    const parts = rec.batches.map((b) => value(b, 'parts'))
    expect(parts.slice(0, 4)).toStrictEqual([1, 2, 3, 4])
    expect(rec.events).toStrictEqual([{ connected: true }])
    // 4 polls at 50 ms take at least 150 ms; polls never overlap
    const ts = rec.batches.map((b) => b.get('parts')?.sourceTs ?? 0)
    for (let i = 1; i < 4; i++) expect((ts[i] ?? 0) - (ts[i - 1] ?? 0)).toBeGreaterThanOrEqual(40)
  })

  it('marks bad only the tags of a read answered with an exception, and keeps the connection', async () => {
    const s = await sim({
      units: { 1: { holding: 10, input: 10, exceptionFor: (req) => (req.table === 'input' ? 4 : undefined) } },
    })
    s.setValue(1, 'holding', 0, 42, 'UINT16')
    const src = source(s, [
      { name: 'ok', table: 'holding', address: 0, type: 'UINT16' },
      // holding has 10 registers: 50 is an illegal data address
      { name: 'missing', table: 'holding', address: 50, type: 'UINT32' },
      { name: 'failing', table: 'input', address: 0, type: 'INT16' },
    ])
    const rec = record(src)
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(3), { timeout: 5000 })
    const last = rec.last()
    expect(last.get('ok')).toMatchObject({ value: 42, quality: 'good' })
    expect(last.get('missing')).toMatchObject({ value: null, quality: 'bad', status: 'exception 2: illegal data address' })
    expect(last.get('failing')).toMatchObject({ value: null, quality: 'bad', status: 'exception 4: server device failure' })
    expect(rec.events).toStrictEqual([{ connected: true }])
    expect(s.stats.connections).toBe(1)
  })

  it('reports a lost device once and reconnects when it returns on the same port', async () => {
    const first = await sim({ units: { 1: { holding: 2 } } })
    const port = first.port
    first.setValue(1, 'holding', 0, 1, 'UINT16')
    const src = source(first, [{ name: 'state', table: 'holding', address: 0, type: 'UINT16' }])
    const rec = record(src)
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(1), { timeout: 5000 })
    expect(value(rec.last(), 'state')).toBe(1)

    await first.stop()
    await vi.waitFor(() => expect(rec.events.length).toBe(2), { timeout: 5000 })
    expect(rec.events[1]?.connected).toBe(false)
    expect(rec.events[1]?.error).toBeInstanceOf(ModbusError)
    // Several reconnect attempts fail meanwhile (50, 100, 200 ms), none is reported again.
    await new Promise((r) => setTimeout(r, 400))
    expect(rec.events.map((e) => e.connected)).toStrictEqual([true, false])
    expect(src.connected).toBe(false)
    const delivered = rec.batches.length

    const second = await sim({ port, units: { 1: { holding: 2 } } })
    second.setValue(1, 'holding', 0, 2, 'UINT16')
    await vi.waitFor(() => expect(value(rec.last(), 'state')).toBe(2), { timeout: 10_000 })
    expect(rec.events.map((e) => e.connected)).toStrictEqual([true, false, true])
    expect(rec.batches.length).toBeGreaterThan(delivered)
    expect(src.connected).toBe(true)
  })

  it('reports a device that never answers the first connect once, with a connect error', async () => {
    const port = await freePort()
    const src = source({ host: '127.0.0.1', port }, [{ name: 'x', table: 'holding', address: 0, type: 'UINT16' }])
    const rec = record(src)
    await vi.waitFor(() => expect(rec.events.length).toBe(1), { timeout: 5000 })
    await new Promise((r) => setTimeout(r, 300))
    expect(rec.events).toHaveLength(1)
    expect(rec.events[0]?.connected).toBe(false)
    expect(rec.events[0]?.error).toMatchObject({ code: 'SHOPFLOOR_MODBUS_CONNECT', canRetry: true })
    expect(rec.events[0]?.error?.message).toContain(`device "meters" (127.0.0.1:${port}, unit 1): cannot connect`)
    expect(rec.batches).toHaveLength(0)
  })

  it('treats a timeout as a lost connection and recovers when the device answers again', async () => {
    const s = await sim({ units: { 1: { holding: 2 } } })
    const src = source(s, [{ name: 'x', table: 'holding', address: 0, type: 'UINT16' }], { timeoutMs: 100, retries: 0 })
    const rec = record(src)
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(1), { timeout: 5000 })
    s.setFaults(1, { delayMs: 400 })
    await vi.waitFor(() => expect(rec.events.map((e) => e.connected)).toStrictEqual([true, false]), { timeout: 5000 })
    expect(rec.events[1]?.error).toMatchObject({ code: 'SHOPFLOOR_MODBUS_TIMEOUT', canRetry: true })
    const delivered = rec.batches.length
    s.setFaults(1, {})
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThan(delivered), { timeout: 5000 })
    expect(rec.events.map((e) => e.connected)).toStrictEqual([true, false, true])
    // A timed-out connection is dropped and a fresh one opened: the late answer never meets the next request.
    expect(src.stats.reconnects).toBe(1)
  })

  it('reports a device that accepts the connection but never answers as not connected, once', async () => {
    const s = await sim({ units: { 1: { holding: 2, silent: true } } })
    const src = source(s, [{ name: 'x', table: 'holding', address: 0, type: 'UINT16' }], { timeoutMs: 100, retries: 0 })
    const rec = record(src)
    await vi.waitFor(() => expect(src.stats.timeouts).toBeGreaterThanOrEqual(3), { timeout: 5000 })
    expect(rec.events.map((e) => e.connected)).toStrictEqual([false])
    expect(rec.events[0]?.error?.message).toContain(`device "meters" (127.0.0.1:${s.port}, unit 1): read holding 0..0 (FC 3): no answer within 100 ms; check that unit 1 is the right unit id`)
    expect(src.connected).toBe(false)
  })

  it('stops at once while a request is in flight', async () => {
    const s = await sim({ units: { 1: { holding: 2, delayMs: 5000 } } })
    const src = source(s, [{ name: 'x', table: 'holding', address: 0, type: 'UINT16' }], { timeoutMs: 10_000 })
    const rec = record(src)
    await vi.waitFor(() => expect(s.stats.requests).toBe(1), { timeout: 5000 })
    const t0 = Date.now()
    await src.stop()
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(rec.batches).toHaveLength(0)
    expect(rec.events).toStrictEqual([])
  })

  it('closes its socket on stop and refuses to read afterwards', async () => {
    const s = await sim({ units: { 1: { holding: 2 } } })
    const src = source(s, [{ name: 'x', table: 'holding', address: 0, type: 'UINT16' }])
    const rec = record(src)
    await vi.waitFor(() => expect(rec.batches.length).toBeGreaterThanOrEqual(1), { timeout: 5000 })
    expect(s.stats.connections).toBe(1)
    await src.stop()
    expect(src.connected).toBe(false)
    await vi.waitFor(() => expect(s.stats.connections).toBe(0), { timeout: 2000 })
    await expect(src.readOnce()).rejects.toMatchObject({ code: 'SHOPFLOOR_MODBUS_STOPPED' })
    // A stopped source reports nothing more: the device going away is not news any longer.
    await s.stop()
    await new Promise((r) => setTimeout(r, 100))
    expect(rec.events.map((e) => e.connected)).toStrictEqual([true])
  })

})
