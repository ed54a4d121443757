import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TagValue } from '../../connectors/common/tag-value.ts'
import { startModbusSimulator, type ModbusSimulator, type SimulatorRequest } from '../../connectors/modbus/simulator.ts'
import { ModbusSource, type ModbusSourceOptions } from '../../connectors/modbus/source.ts'
import type { ModbusTag } from '../../connectors/modbus/types.ts'

// Modbus TCP devices that misbehave beside one that does not, the device quirks, retries and the
// source's counters.

const sims: ModbusSimulator[] = []
const sources: ModbusSource[] = []
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()))
  await Promise.all(sims.splice(0).map((s) => s.stop()))
})

async function sim(opts: Parameters<typeof startModbusSimulator>[0]): Promise<ModbusSimulator> {
  const s = await startModbusSimulator(opts)
  sims.push(s)
  return s
}

function source(s: ModbusSimulator, tags: readonly ModbusTag[], opts: Partial<ModbusSourceOptions> = {}): ModbusSource {
  const src = new ModbusSource({ id: `dev-${sources.length}`, host: s.host, port: s.port, pollIntervalMs: 100, timeoutMs: 300, reconnectDelayMs: 100, retries: 0, tags, ...opts })
  sources.push(src)
  return src
}

function record(src: ModbusSource): { at: number[]; values: ReadonlyMap<string, TagValue>[]; events: boolean[] } {
  const r = { at: [] as number[], values: [] as ReadonlyMap<string, TagValue>[], events: [] as boolean[] }
  src.start(
    (v) => {
      r.at.push(performance.now())
      r.values.push(v)
    },
    (connected) => r.events.push(connected),
  )
  return r
}

const maxGap = (at: readonly number[]): number => Math.max(0, ...at.slice(1).map((t, i) => t - (at[i] ?? t)))
const tags: readonly ModbusTag[] = [
  { name: 'kwh', table: 'holding', address: 0, type: 'UINT32' },
  { name: 'kw', table: 'holding', address: 2, type: 'FLOAT32' },
]

describe('Modbus faults', () => {
  it('a device that times out and one that answers exceptions slow down nobody else', async () => {
    const good = await sim({ units: { 1: { holding: 10 } } })
    const silent = await sim({ units: { 1: { holding: 10, silent: true } } })
    const refusing = await sim({ units: { 1: { holding: 10, exceptionFor: () => 4 } } })
    good.setValue(1, 'holding', 0, 42, 'UINT32')

    // The good device alone first, for its undisturbed rate on this machine now.
    const alone = record(source(good, tags))
    await new Promise((r) => setTimeout(r, 1500))
    await sources[0]?.stop()
    const aloneRate = alone.at.length

    const g = record(source(good, tags))
    const t = record(source(silent, tags, { timeoutMs: 1000 }))
    const x = record(source(refusing, tags))
    await new Promise((r) => setTimeout(r, 1500))

    // The good device kept its poll rate and never waited anywhere near the silent one's 1 s timeout.
    expect(g.at.length).toBeGreaterThanOrEqual(Math.floor(aloneRate * 0.8))
    expect(maxGap(g.at)).toBeLessThan(400)
    expect(g.values.at(-1)?.get('kwh')).toMatchObject({ value: 42, quality: 'good' })
    expect(g.events).toStrictEqual([true])
    // The silent one accepts the connection but never answers: not connected, reported once.
    expect(t.events).toStrictEqual([false])
    expect(t.values).toHaveLength(0)
    // The refusing one polls at its rate too, every tag bad with the exception.
    expect(x.at.length).toBeGreaterThanOrEqual(Math.floor(aloneRate * 0.8))
    expect(x.values.at(-1)?.get('kw')).toMatchObject({ value: null, quality: 'bad', status: 'exception 4: server device failure' })
    expect(sources[3]?.stats.exceptions[4]).toBe(x.at.length)
  })

  it('counts polls, requests, timeouts, exceptions and reconnects in stats', async () => {
    const exceptionFor = (req: SimulatorRequest): number | undefined => (req.table === 'input' ? 2 : undefined)
    const s = await sim({ units: { 1: { holding: 10, input: 4, exceptionFor } } })
    const src = source(s, [...tags, { name: 'missing', table: 'input', address: 0, type: 'INT16' }])
    const r = record(src)
    await vi.waitFor(() => expect(r.at.length).toBeGreaterThanOrEqual(3), { timeout: 5000 })
    s.setFaults(1, { silent: true, exceptionFor })
    await vi.waitFor(() => expect(r.events).toStrictEqual([true, false]), { timeout: 5000 })
    s.setFaults(1, { exceptionFor })
    await vi.waitFor(() => expect(r.events).toStrictEqual([true, false, true]), { timeout: 5000 })
    await vi.waitFor(() => expect(src.stats.polls).toBeGreaterThan(r.at.length - 1), { timeout: 5000 })
    const stats = src.stats
    expect(stats.connected).toBe(true)
    expect(stats.polls).toBe(r.at.length)
    expect(stats.pollErrors).toBeGreaterThanOrEqual(1)
    expect(stats.timeouts).toBeGreaterThanOrEqual(1)
    // Every poll read holding (good) and input (exception 2); a timed-out poll stops at its first read.
    expect(stats.exceptions).toStrictEqual({ 2: stats.polls })
    expect(stats.requests).toBe(2 * stats.polls + stats.timeouts)
    expect(stats.reconnects).toBe(1)
    expect(stats.lastPollDurationMs).toBeGreaterThan(0)
  })

  it('retries a busy answer after a pause and delivers the value', async () => {
    let calls = 0
    // Busy (exception 6) for the first two requests, then served.
    const s = await sim({ units: { 1: { holding: 10, exceptionFor: () => (++calls <= 2 ? 6 : undefined) } } })
    s.setValue(1, 'holding', 0, 7, 'UINT32')
    const src = source(s, tags, { retries: 2, retryDelayMs: 50 })
    const t0 = performance.now()
    const values = await src.readOnce()
    expect(values.get('kwh')).toMatchObject({ value: 7, quality: 'good' })
    // 50 ms, then 100 ms
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140)
    expect(src.stats).toMatchObject({ requests: 3, retries: 2, exceptions: { 6: 2 } })
  })

  it('retries a timed-out request on the same connection before giving up', async () => {
    const s = await sim({ units: { 1: { holding: 10, silent: true } } })
    const src = source(s, tags, { retries: 2, retryDelayMs: 10, timeoutMs: 100 })
    const err = await src.readOnce().catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'SHOPFLOOR_MODBUS_TIMEOUT' })
    expect((err as Error).message).toContain('no answer within 100 ms (3 attempts)')
    expect(src.stats).toMatchObject({ requests: 3, retries: 2, timeouts: 3 })
    expect(s.stats.requests).toBe(3)
  })
})

describe('Modbus device quirks', () => {
  it('oneRequestPerTag reads each tag with a request of its own', async () => {
    const seen: SimulatorRequest[] = []
    const s = await sim({ units: { 1: { holding: 10, exceptionFor: (req) => void seen.push(req) } } })
    const src = source(s, tags, { oneRequestPerTag: true })
    await src.readOnce()
    expect(seen.map((r) => [r.address, r.count])).toStrictEqual([[0, 2], [2, 2]])
  })

  it('pauseAfterConnect holds the first request back after connecting', async () => {
    let first: number | undefined
    const s = await sim({ units: { 1: { holding: 10 } }, beforeRead: () => void (first ??= performance.now()) })
    const src = source(s, tags, { pauseAfterConnectMs: 300 })
    const t0 = performance.now()
    await src.readOnce()
    expect((first ?? 0) - t0).toBeGreaterThanOrEqual(290)
    // Only after connecting: the next read goes at once.
    first = undefined
    const t1 = performance.now()
    await src.readOnce()
    expect((first ?? Infinity) - t1).toBeLessThan(100)
  })

  it('maxRegisters splits what a device cannot read in one request', async () => {
    const seen: number[] = []
    const s = await sim({ units: { 1: { holding: 100, exceptionFor: (req) => (req.count > 8 ? 3 : void seen.push(req.count)) } } })
    const many: ModbusTag[] = Array.from({ length: 10 }, (_, i) => ({ name: `r${i}`, table: 'holding', address: i * 2, type: 'FLOAT32' }))
    const capped = await source(s, many, { maxRegisters: 8 }).readOnce()
    expect([...capped.values()].every((v) => v.quality === 'good')).toBe(true)
    expect(seen).toStrictEqual([8, 8, 4])
    // Without the cap the device refuses the whole read: every tag bad, with what to do in the log.
    const uncapped = await source(s, many).readOnce()
    expect(uncapped.get('r0')).toMatchObject({ quality: 'bad', status: 'exception 3: illegal data value' })
  })
})
