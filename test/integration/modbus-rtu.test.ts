import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TagValue } from '../../connectors/common/tag-value.ts'
import { openPtyPair, type PtyPair } from '../../connectors/modbus/pty-pair.ts'
import { leasedLines } from '../../connectors/modbus/shared-line.ts'
import { startModbusSimulator, type ModbusSimulator } from '../../connectors/modbus/simulator.ts'
import { ModbusSource, type ModbusSourceOptions } from '../../connectors/modbus/source.ts'
import type { ModbusTag } from '../../connectors/modbus/types.ts'

// RTU on a serial line: a socat pseudo-terminal pair, the simulator serving several units on one
// end, sources (one per unit id) sharing the other. And RTU over TCP, as through a converter.

const ptys: PtyPair[] = []
const sims: ModbusSimulator[] = []
const sources: ModbusSource[] = []
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()))
  await Promise.all(sims.splice(0).map((s) => s.stop()))
  await Promise.all(ptys.splice(0).map((p) => p.close()))
})

async function line(): Promise<PtyPair> {
  const p = await openPtyPair()
  ptys.push(p)
  return p
}

async function sim(opts: Parameters<typeof startModbusSimulator>[0]): Promise<ModbusSimulator> {
  const s = await startModbusSimulator(opts)
  sims.push(s)
  return s
}

function source(opts: Partial<ModbusSourceOptions> & { id: string; tags: readonly ModbusTag[] }): ModbusSource {
  const src = new ModbusSource({ pollIntervalMs: 100, timeoutMs: 300, reconnectDelayMs: 100, retries: 0, ...opts })
  sources.push(src)
  return src
}

interface Recording {
  readonly batches: { at: number; values: ReadonlyMap<string, TagValue> }[]
  readonly events: { connected: boolean; error?: Error }[]
  /** The longest time between two deliveries after the first, ms. */
  maxGap(): number
}

function record(src: ModbusSource): Recording {
  const batches: Recording['batches'] = []
  const events: Recording['events'] = []
  src.start(
    (values) => batches.push({ at: performance.now(), values }),
    (connected, error) => events.push(error === undefined ? { connected } : { connected, error }),
  )
  return {
    batches,
    events,
    maxGap: () => Math.max(0, ...batches.slice(1).map((b, i) => b.at - (batches[i]?.at ?? b.at))),
  }
}

const meter = (name: string): ModbusTag[] => [
  { name: `${name}.kwh`, table: 'holding', address: 0, type: 'UINT32', scale: 0.01 },
  { name: `${name}.kw`, table: 'holding', address: 2, type: 'FLOAT32', byteOrder: 'CDAB' },
  { name: `${name}.alarm`, table: 'input', address: 0, type: 'BOOL', bit: 4 },
]

const value = (r: Recording, name: string): unknown => r.batches.at(-1)?.values.get(name)?.value

describe('Modbus RTU on a serial line', () => {
  it('polls two units on one line through one owner of the port, each with its own values', async () => {
    const pty = await line()
    const s = await sim({ transport: 'rtu', serialPort: pty.a, units: { 1: { holding: 10, input: 2 }, 2: { holding: 10, input: 2 } } })
    s.setTagValue(1, meter('a')[0] as ModbusTag, 1234.56)
    s.setTagValue(1, meter('a')[1] as ModbusTag, 7.5)
    s.setTagValue(2, meter('b')[0] as ModbusTag, 99.01)
    s.setTagValue(2, meter('b')[2] as ModbusTag, true)
    const a = record(source({ id: 'meter-a', transport: 'rtu', serialPort: pty.b, unitId: 1, tags: meter('a') }))
    const b = record(source({ id: 'meter-b', transport: 'rtu', serialPort: pty.b, unitId: 2, tags: meter('b') }))
    await vi.waitFor(() => expect(Math.min(a.batches.length, b.batches.length)).toBeGreaterThanOrEqual(3), { timeout: 5000 })
    expect([value(a, 'a.kwh'), value(a, 'a.kw'), value(a, 'a.alarm')]).toStrictEqual([1234.56, 7.5, false])
    expect([value(b, 'b.kwh'), value(b, 'b.kw'), value(b, 'b.alarm')]).toStrictEqual([99.01, 0, true])
    expect(a.events).toStrictEqual([{ connected: true }])
    expect(b.events).toStrictEqual([{ connected: true }])
    // One line, opened once, shared by both sources.
    expect(leasedLines()).toStrictEqual([`serial:${pty.b}`])
  })

  it('gives every good unit its turn while a unit on the same line times out and another answers exceptions', async () => {
    const pty = await line()
    const s = await sim({
      transport: 'rtu',
      serialPort: pty.a,
      units: {
        1: { holding: 10, input: 2 },
        2: { holding: 10, input: 2 },
        // Unit 3 answers every read with exception 2; unit 9 is not on the line at all.
        3: { holding: 10, input: 2, exceptionFor: () => 2 },
      },
    })
    s.setTagValue(1, meter('a')[0] as ModbusTag, 10)
    s.setTagValue(2, meter('b')[0] as ModbusTag, 20)
    const dead = record(source({ id: 'dead', transport: 'rtu', serialPort: pty.b, unitId: 9, timeoutMs: 300, reconnectDelayMs: 200, maxReconnectDelayMs: 200, tags: meter('d') }))
    const refusing = record(source({ id: 'refusing', transport: 'rtu', serialPort: pty.b, unitId: 3, tags: meter('e') }))
    const a = record(source({ id: 'meter-a', transport: 'rtu', serialPort: pty.b, unitId: 1, tags: meter('a') }))
    const b = record(source({ id: 'meter-b', transport: 'rtu', serialPort: pty.b, unitId: 2, tags: meter('b') }))
    const t0 = performance.now()
    await new Promise((r) => setTimeout(r, 2500))
    const seconds = (performance.now() - t0) / 1000

    // What "nobody else" means on a shared line: the silent unit holds the line for its own
    // timeout (300 ms) once per attempt, so a good unit waits at most that long for its turn;
    // it never waits for a second one in a row, and it keeps a steady poll rate.
    for (const good of [a, b]) {
      expect(good.events).toStrictEqual([{ connected: true }])
      expect(good.maxGap()).toBeLessThan(100 + 300 + 250)
      expect(good.batches.length / seconds).toBeGreaterThan(3)
    }
    expect(value(a, 'a.kwh')).toBe(10)
    expect(value(b, 'b.kwh')).toBe(20)
    // The silent unit: lost once, with a timeout naming the unit; it kept being tried.
    expect(dead.batches).toHaveLength(0)
    expect(dead.events).toHaveLength(1)
    expect(dead.events[0]).toMatchObject({ connected: false, error: { code: 'SHOPFLOOR_MODBUS_TIMEOUT' } })
    expect(dead.events[0]?.error?.message).toContain(`device "dead" (${pty.b}, unit 9): read holding 0..3 (FC 3): no answer within 300 ms`)
    expect(sources[0]?.stats.timeouts).toBeGreaterThanOrEqual(3)
    // The refusing unit answers, so it is connected; its tags are bad with the exception.
    expect(refusing.events).toStrictEqual([{ connected: true }])
    expect(refusing.batches.at(-1)?.values.get('e.kw')).toMatchObject({ value: null, quality: 'bad', status: 'exception 2: illegal data address' })
    expect(sources[1]?.stats.exceptions).toMatchObject({ 2: expect.any(Number) })
  })

  it('keeps the line for the others when one source stops, and closes it with the last', async () => {
    const pty = await line()
    await sim({ transport: 'rtu', serialPort: pty.a, units: { 1: { holding: 10, input: 2 }, 2: { holding: 10, input: 2 } } })
    const srcA = source({ id: 'meter-a', transport: 'rtu', serialPort: pty.b, unitId: 1, tags: meter('a') })
    const srcB = source({ id: 'meter-b', transport: 'rtu', serialPort: pty.b, unitId: 2, tags: meter('b') })
    const a = record(srcA)
    const b = record(srcB)
    await vi.waitFor(() => expect(Math.min(a.batches.length, b.batches.length)).toBeGreaterThanOrEqual(2), { timeout: 5000 })
    await srcA.stop()
    const before = b.batches.length
    await vi.waitFor(() => expect(b.batches.length).toBeGreaterThanOrEqual(before + 3), { timeout: 5000 })
    expect(b.events).toStrictEqual([{ connected: true }])
    expect(leasedLines()).toStrictEqual([`serial:${pty.b}`])
    await srcB.stop()
    expect(leasedLines()).toStrictEqual([])
  })

  it('refuses a second source on the same port at other line settings, naming both', async () => {
    const pty = await line()
    await sim({ transport: 'rtu', serialPort: pty.a, units: { 1: { holding: 10, input: 2 } } })
    record(source({ id: 'meter-a', transport: 'rtu', serialPort: pty.b, unitId: 1, tags: meter('a') }))
    const other = source({ id: 'meter-b', transport: 'rtu', serialPort: pty.b, unitId: 2, baudRate: 19_200, tags: meter('b') })
    expect(() => other.start(() => {})).toThrow(
      `modbus source "meter-b": serial port ${pty.b} is already used by source(s) "meter-a" at 9600 baud, 8E1, not 19200 baud, 8E1: every unit on one bus must use the same baudRate, parity, dataBits and stopBits`,
    )
  })

  it('reports every unit lost once when the line goes away', async () => {
    const pty = await line()
    await sim({ transport: 'rtu', serialPort: pty.a, units: { 1: { holding: 10, input: 2 }, 2: { holding: 10, input: 2 } } })
    const a = record(source({ id: 'meter-a', transport: 'rtu', serialPort: pty.b, unitId: 1, reconnectDelayMs: 200, tags: meter('a') }))
    const b = record(source({ id: 'meter-b', transport: 'rtu', serialPort: pty.b, unitId: 2, reconnectDelayMs: 200, tags: meter('b') }))
    await vi.waitFor(() => expect(Math.min(a.batches.length, b.batches.length)).toBeGreaterThanOrEqual(1), { timeout: 5000 })
    // socat gone: both pseudo-terminals vanish, as a USB adapter pulled out.
    await pty.close()
    await vi.waitFor(() => expect([a.events.length, b.events.length]).toStrictEqual([2, 2]), { timeout: 5000 })
    await new Promise((r) => setTimeout(r, 600))
    for (const r of [a, b]) {
      expect(r.events.map((e) => e.connected)).toStrictEqual([true, false])
      expect(r.events[1]?.error).toMatchObject({ canRetry: true })
    }
  })
})

describe('Modbus RTU over TCP', () => {
  it('reads two units behind one converter over one shared connection, past a silent third', async () => {
    const s = await sim({ transport: 'rtu-over-tcp', units: { 1: { holding: 10, input: 2 }, 2: { holding: 10, input: 2 } } })
    s.setTagValue(1, meter('a')[1] as ModbusTag, -3.25)
    s.setTagValue(2, meter('b')[1] as ModbusTag, 400.5)
    const target = { transport: 'rtu-over-tcp', host: s.host, port: s.port } as const
    const a = record(source({ id: 'meter-a', ...target, unitId: 1, tags: meter('a') }))
    const b = record(source({ id: 'meter-b', ...target, unitId: 2, tags: meter('b') }))
    const dead = record(source({ id: 'dead', ...target, unitId: 5, tags: meter('d') }))
    await vi.waitFor(() => expect(Math.min(a.batches.length, b.batches.length)).toBeGreaterThanOrEqual(5), { timeout: 5000 })
    expect(value(a, 'a.kw')).toBe(-3.25)
    expect(value(b, 'b.kw')).toBe(400.5)
    await vi.waitFor(() => expect(dead.events).toHaveLength(1), { timeout: 5000 })
    expect(dead.events[0]?.error).toMatchObject({ code: 'SHOPFLOOR_MODBUS_TIMEOUT' })
    // A converter passes every client's bytes onto one RS-485 pair: one connection for all units.
    expect(s.stats.connections).toBe(1)
    expect(a.maxGap()).toBeLessThan(100 + 300 + 250)
    expect(a.events).toStrictEqual([{ connected: true }])
  })

  it('reconnects all units when the converter comes back', async () => {
    const first = await sim({ transport: 'rtu-over-tcp', units: { 1: { holding: 10, input: 2 } } })
    const port = first.port
    const a = record(source({ id: 'meter-a', transport: 'rtu-over-tcp', host: first.host, port, unitId: 1, tags: meter('a') }))
    await vi.waitFor(() => expect(a.batches.length).toBeGreaterThanOrEqual(1), { timeout: 5000 })
    await first.stop()
    await vi.waitFor(() => expect(a.events.map((e) => e.connected)).toStrictEqual([true, false]), { timeout: 5000 })
    const second = await sim({ transport: 'rtu-over-tcp', port, units: { 1: { holding: 10, input: 2 } } })
    second.setTagValue(1, meter('a')[0] as ModbusTag, 5)
    await vi.waitFor(() => expect(value(a, 'a.kwh')).toBe(5), { timeout: 10_000 })
    expect(a.events.map((e) => e.connected)).toStrictEqual([true, false, true])
    expect(sources[0]?.stats.reconnects).toBe(1)
  })
})
