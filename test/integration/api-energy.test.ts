// GET /api/v1/energy against chDB: a hand-made evening of one line, stored through the real
// ingest path (Avro encoded, Ingest's in-process handler, which fills the state intervals and the
// rollups), then asked through the app. Every expected number is worked by hand below.
//
// Factory hcmc/vsip-1/saigon-pcb (seed: calendar three-shift, Asia/Ho_Chi_Minh, voltage level
// 22-110kV: normal 1,833, peak 3,398 VND/kWh). Monday 2026-05-04, time-of-use regime of Decision
// 963/QĐ-BCT (seed effective 2026-04-22): normal until 17:30, peak 17:30-22:30. Shift B 14:00-22:00
// with a meal break 18:00-18:30. Window 16:00-19:00 local, now 20:00. A reading is the energy used
// since the meter's previous reading: it belongs to the interval that ENDS at its time (the 17:30
// reading is 17:15-17:30, normal), so a window or quarter (a, b] holds the readings taken in it.
// A quarter hour's kWh is shared among the states by the time each had in that quarter.
//
// line-1: printer (position 0) -> aoi (position 1, end of line)
//   aoi states   15:00 RUNNING, 16:40 IDLE, 17:00 RUNNING, 17:15 DOWN, 17:45 RUNNING,
//                18:00 PLANNED_STOP, 18:30 RUNNING (still open at now)
//   aoi kWh      16:10 3 (RUNNING)
//                16:40:45 3 (quarter 16:30-16:45: 10 min RUNNING, 5 min IDLE -> 2 + 1)
//                16:50 1 (IDLE)          17:29 4 (DOWN, normal)    17:30 5 (17:15-17:30: DOWN, normal)
//                17:45 6 (17:30-17:45: DOWN, peak)   18:10 2 (PLANNED_STOP, in the break)
//                18:45 7 (18:30-18:45: RUNNING, open)
//                kvarh 16 at 16:10, 24 at 18:45
//   aoi units    16:30 100 produced / 2 rejected, 18:40 50 / 1
//   printer      RUNNING from 15:00; kWh 17:14 10, 17:31 1,000,000 (a register glitch: 3.5 GW over
//                17 min, rejected), 17:44 8, 18:20 -5 (a replaced meter sent by a foreign producer:
//                rejected), 18:50 40 (80 kW since 18:20: kept); units 17:00 300 / 0
//
// aoi:     31 kWh = normal 3+3+1+4+5 = 16 (29,328 VND) + peak 6+2+7 = 15 (50,970 VND) = 80,298 VND
//          by state RUNNING 3+2+7 = 12, IDLE 1+1 = 2, DOWN 4+5+6 = 15, PLANNED_STOP 2
// printer: 58 kWh = normal 10 (18,330) + peak 8+40 = 48 (163,104) = 181,434 VND, all RUNNING
// line:    89 kWh = normal 26 (47,658) + peak 63 (214,074) = 261,732 VND; 147 good units (the
//          aoi's); CO2 89 × 0.6592 (the 2023 factor, the latest for 2026) = 58.6688 kg
// quarters: aoi 16:00 3, 16:30 3, 16:45 1, 17:15 9, 17:30 6, 18:00 2, 18:30 7 (peak 36 kW at 17:15)
//           printer 17:00 10, 17:30 8 (the glitch taken out), 18:15 0, 18:45 40 (peak 160 kW)
//           line 17:00 10, 17:15 9, 17:30 14, 18:45 40 -> peak 160 kW at 18:45
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EnergyResponse } from '../../api/energy/service.ts'
import { migrate, openClickhouse, type Clickhouse, type MachineStateCode, type ShopfloorEvent } from '../../stream/index.ts'
import { storeEvents, testApi, type TestApi, type TestRole } from '../support/api.ts'

const FACTORY = 'hcmc/vsip-1/saigon-pcb'
const LINE = `${FACTORY}/smt/line-1`
const AOI = `${LINE}/aoi`
const PRINTER = `${LINE}/printer`

/** Local time (UTC+7) on Monday 2026-05-04, epoch ms. */
const L = (h: number, m = 0, s = 0): number => Date.UTC(2026, 4, 4, h - 7, m, s)
const local = (h: number, m = 0, s = 0): string => `2026-05-04T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}+07:00`
const NOW = L(20)
const WINDOW = { from: local(16), to: local(19) }
const NORMAL = 1833
const PEAK = 3398
const EF_2023 = 0.6592

function scenario(): ShopfloorEvent[] {
  type Body = { machine: string; ts: number; make: (head: { event_id: string; agent_id: string; seq: number; machine: string; source_ts: number; receive_ts: number }) => ShopfloorEvent }
  const bodies: Body[] = []
  const state = (machine: string, ts: number, s: MachineStateCode, reason: string | null = null): void => {
    bodies.push({ machine, ts, make: (h) => ({ type: 'machine_state', event: { ...h, state: s, reason } }) })
  }
  const count = (machine: string, ts: number, produced: number, rejected: number): void => {
    bodies.push({ machine, ts, make: (h) => ({ type: 'production_count', event: { ...h, produced, rejected, ideal_cycle_s: 25, product: null } }) })
  }
  const kwh = (machine: string, ts: number, k: number, kvarh: number | null = null): void => {
    bodies.push({ machine, ts, make: (h) => ({ type: 'energy_reading', event: { ...h, kwh: k, kwh_total: 5000 + k, kw: null, kvarh, kvarh_total: kvarh === null ? null : 100 + kvarh } }) })
  }
  state(AOI, L(15), 'RUNNING')
  state(PRINTER, L(15), 'RUNNING')
  kwh(AOI, L(16, 10), 3, 16)
  count(AOI, L(16, 30), 100, 2)
  state(AOI, L(16, 40), 'IDLE', 'NO_BOARDS')
  kwh(AOI, L(16, 40, 45), 3, 0)
  kwh(AOI, L(16, 50), 1, 0)
  state(AOI, L(17), 'RUNNING')
  count(PRINTER, L(17), 300, 0)
  kwh(PRINTER, L(17, 14), 10)
  state(AOI, L(17, 15), 'DOWN', 'JAM')
  kwh(AOI, L(17, 29), 4, 0)
  kwh(AOI, L(17, 30), 5, 0)
  kwh(PRINTER, L(17, 31), 1_000_000)
  kwh(PRINTER, L(17, 44), 8)
  state(AOI, L(17, 45), 'RUNNING')
  kwh(AOI, L(17, 45), 6, 0)
  state(AOI, L(18), 'PLANNED_STOP', 'MEAL')
  kwh(AOI, L(18, 10), 2, 0)
  kwh(PRINTER, L(18, 20), -5)
  state(AOI, L(18, 30), 'RUNNING')
  count(AOI, L(18, 40), 50, 1)
  kwh(AOI, L(18, 45), 7, 24)
  kwh(PRINTER, L(18, 50), 40)
  bodies.sort((a, b) => a.ts - b.ts)
  let seq = 1
  const out: ShopfloorEvent[] = [
    {
      type: 'agent_heartbeat',
      event: {
        event_id: 'gw-energy:1',
        agent_id: 'gw-energy',
        seq,
        source_ts: L(14),
        version: '0.1.0',
        started_ts: L(14),
        machines: [
          { machine: PRINTER, name: 'printer', position: 0, ideal_cycle_s: 20, line_ideal_cycle_s: 25, end_of_line: false },
          { machine: AOI, name: 'aoi', position: 1, ideal_cycle_s: 25, line_ideal_cycle_s: 25, end_of_line: true },
        ],
      },
    } as ShopfloorEvent,
  ]
  for (const b of bodies) {
    seq++
    out.push(b.make({ event_id: `gw-energy:${seq}`, agent_id: 'gw-energy', seq, machine: b.machine, source_ts: b.ts, receive_ts: b.ts + 5 }))
  }
  return out
}

let dir: string
let ch: Clickhouse
let api: TestApi

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-api-energy-'))
  ch = await openClickhouse({ path: join(dir, 'chdb'), database: 'api_energy' })
  await migrate(ch)
  expect((await storeEvents(ch, scenario())).malformed).toBe(0)
  api = await testApi({ clickhouse: ch, now: () => NOW })
})

afterAll(async () => {
  await api?.close()
  await ch?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const get = (query: Record<string, string>, role: TestRole | null = 'plant', headers: Record<string, string> = {}) =>
  api.inject(role, { method: 'GET', url: '/api/v1/energy', query, headers })
async function energy(query: Record<string, string>): Promise<EnergyResponse> {
  const res = await get(query)
  expect(res.statusCode, res.body).toBe(200)
  return res.json<EnergyResponse>()
}

describe('GET /api/v1/energy', () => {
  it('energy of a line: kWh, cost across the 17:30 time-of-use boundary, CO2 and SEC worked by hand', async () => {
    const r = await energy({ line: LINE, ...WINDOW })
    expect(r.scope).toMatchObject({ level: 'line', path: LINE, factory: FACTORY, bucket: 'none', timezone: 'Asia/Ho_Chi_Minh', voltageLevel: '22-110kV', voltageLevelDefaulted: false, maxKw: 2000, unitMachines: [AOI] })
    expect(r.kwh).toBeCloseTo(89, 9)
    expect(r.cost.byPeriod.normal.kwh).toBeCloseTo(26, 9)
    expect(r.cost.byPeriod.peak.kwh).toBeCloseTo(63, 9)
    expect(r.cost.byPeriod.offpeak.kwh).toBe(0)
    expect(r.cost.byPeriod.normal.vnd).toBeCloseTo(26 * NORMAL, 6) // 47,658
    expect(r.cost.byPeriod.peak.vnd).toBeCloseTo(63 * PEAK, 6) // 214,074
    expect(r.cost.vnd).toBeCloseTo(261_732, 6)
    expect(r.cost.unpricedKwh).toBe(0)
    expect(r.units).toEqual({ produced: 150, good: 147, rejected: 3 })
    expect(r.sec.kwhPerGoodUnit).toBeCloseTo(89 / 147, 12)
    expect(r.sec.kwhPerUnit).toBeCloseTo(89 / 150, 12)
    expect(r.co2.byYear).toEqual([{ year: 2026, factorYear: 2023, tCo2PerMwh: EF_2023, kwh: expect.closeTo(89, 9), kg: expect.closeTo(89 * EF_2023, 9) }])
    expect(r.co2.kg).toBeCloseTo(58.6688, 9)
    expect(r.co2.kgPerGoodUnit).toBeCloseTo(58.6688 / 147, 12)
    expect(r.reference.tariffs.map((t) => t.id)).toEqual(['evn-1279-2025'])
    expect(r.reference.tou.map((t) => t.id)).toEqual(['evn-963-2026'])
    expect(r.reference.emissionFactors).toEqual([expect.objectContaining({ year: 2023, tCo2PerMwh: EF_2023 })])
    expect(r.flags.sort()).toEqual(['emission_factor_of_earlier_year', 'meter_readings_rejected', 'reference_unverified'])
    expect(r.meter).toEqual({ checkedIntervals: 2, rejectedReadings: 2, rejectedKwh: 999_995 })
  })

  it('energy splits kWh by state (a quarter hour shared by its state time) and by ISO 22400 time element', async () => {
    const r = await energy({ line: LINE, ...WINDOW })
    const aoi = r.machines.find((m) => m.machine === AOI)
    const printer = r.machines.find((m) => m.machine === PRINTER)
    expect(aoi?.byState).toEqual({ running: expect.closeTo(12, 9), idle: expect.closeTo(2, 9), down: expect.closeTo(15, 9), setup: 0, plannedStop: expect.closeTo(2, 9), offline: 0 })
    expect(aoi?.idleEnergy.kwh).toBeCloseTo(19, 9)
    expect(aoi?.idleEnergy.share).toBeCloseTo(19 / 31, 12)
    // The break 18:00-18:30 is planned down time whatever the state.
    expect(aoi?.byOeeTime).toEqual({ apt: expect.closeTo(12, 9), aust: 0, adet: expect.closeTo(15, 9), adot: expect.closeTo(2, 9), pdt: expect.closeTo(2, 9), notPlanned: 0, offline: 0 })
    expect(printer?.byState.running).toBeCloseTo(58, 9)
    expect(printer?.byOeeTime.apt).toBeCloseTo(58, 9)
    expect(r.byOeeTime.apt).toBeCloseTo(70, 9)
  })

  it('energy gives each machine its cost, peak demand, load factor and power factor', async () => {
    const r = await energy({ line: LINE, ...WINDOW })
    const aoi = r.machines.find((m) => m.machine === AOI)
    const printer = r.machines.find((m) => m.machine === PRINTER)
    expect(aoi?.kwh).toBeCloseTo(31, 9)
    expect(aoi?.cost.vnd).toBeCloseTo(16 * NORMAL + 15 * PEAK, 6) // 80,298
    expect(printer?.kwh).toBeCloseTo(58, 9)
    expect(printer?.cost.vnd).toBeCloseTo(10 * NORMAL + 48 * PEAK, 6) // 181,434
    expect(printer?.meter).toEqual({ checkedIntervals: 2, rejectedReadings: 2, rejectedKwh: 999_995 })
    expect(aoi?.meter).toEqual({ checkedIntervals: 0, rejectedReadings: 0, rejectedKwh: 0 })
    // 17:29's 4 and 17:30's 5 kWh are both 17:15-17:30.
    expect(aoi?.peakDemand).toEqual({ kw: 36, start: new Date(L(17, 15)).toISOString(), end: new Date(L(17, 30)).toISOString() })
    expect(printer?.peakDemand?.kw).toBe(160)
    // Coincident peak of the line: 0 + 40 kWh in 18:45-19:00 (aoi's 18:45 reading is 18:30-18:45).
    expect(r.peakDemand).toEqual({ kw: 160, start: new Date(L(18, 45)).toISOString(), end: new Date(L(19)).toISOString() })
    expect(r.loadFactor).toBeCloseTo(89 / (160 * 3), 12)
    expect(aoi?.loadFactor).toBeCloseTo(31 / (36 * 3), 12)
    expect(aoi?.powerFactor).toBeCloseTo(31 / Math.hypot(31, 40), 12) // 31 kWh, 40 kvarh
    expect(printer?.powerFactor).toBeNull()
    expect(printer?.flags).toContain('reactive_not_metered')
    expect(aoi?.units).toEqual({ produced: 150, good: 147, rejected: 3 })
    expect(printer?.sec.kwhPerGoodUnit).toBeCloseTo(58 / 300, 12)
  })

  it('energy per hour bucket: the half-hour boundary splits the 17:00 hour between normal and peak', async () => {
    const r = await energy({ line: LINE, ...WINDOW, bucket: 'hour' })
    expect(r.buckets.map((b) => b.key)).toEqual(['2026-05-04T16', '2026-05-04T17', '2026-05-04T18'])
    const [h16, h17, h18] = r.buckets
    expect(h16?.kwh).toBeCloseTo(7, 9)
    expect(h16?.cost.vnd).toBeCloseTo(7 * NORMAL, 6)
    // 3 kWh in 16:00-16:15 and in 16:30-16:45: the earlier
    expect(h16?.peakDemand).toEqual({ kw: 12, start: new Date(L(16)).toISOString(), end: new Date(L(16, 15)).toISOString() })
    expect(h16?.units).toEqual({ produced: 100, good: 98, rejected: 2 })
    // 17:00-18:00: aoi 4 (17:29, normal), 5 (17:30: 17:15-17:30, normal), 6 (17:45, peak);
    // printer 10 (normal), 8 (peak)
    expect(h17?.kwh).toBeCloseTo(33, 9)
    expect(h17?.cost.byPeriod.normal.kwh).toBeCloseTo(19, 9)
    expect(h17?.cost.byPeriod.peak.kwh).toBeCloseTo(14, 9)
    expect(h17?.cost.vnd).toBeCloseTo(19 * NORMAL + 14 * PEAK, 6)
    expect(h17?.peakDemand).toEqual({ kw: 56, start: new Date(L(17, 30)).toISOString(), end: new Date(L(17, 45)).toISOString() })
    expect(h18?.kwh).toBeCloseTo(49, 9)
    expect(h18?.cost.vnd).toBeCloseTo(49 * PEAK, 6)
    expect(h18?.peakDemand?.kw).toBe(160)
    expect(h18?.meter.rejectedReadings).toBe(1) // the -5 at 18:20; the glitch was at 17:31
    expect(r.kwh).toBeCloseTo(89, 9)
  })

  it('energy checks every reading when maxKw is low: the raw path shares the same way and rejects what is too fast', async () => {
    // maxKw 20 kW: a quarter above 5 kWh is checked reading by reading. aoi: 17:15-17:30 (9 kWh):
    // 4 kWh at 17:29 is 6.2 kW since 16:50, kept; 5 kWh at 17:30 is 300 kW since 17:29, out;
    // 17:30-17:45: 6 kWh at 17:45 is 24 kW since 17:30, out; 18:30-18:45: 7 kWh at 18:45 is 12 kW
    // since 18:10, kept. printer: 10 kWh at 17:14 (the first, kept), 8 kWh at 17:44 is 36.9 kW
    // since the glitch's time, 40 kWh at 18:50 is 80 kW: out.
    const r = await energy({ line: LINE, ...WINDOW, maxKw: '20' })
    const aoi = r.machines.find((m) => m.machine === AOI)
    const printer = r.machines.find((m) => m.machine === PRINTER)
    expect(aoi?.kwh).toBeCloseTo(20, 9)
    expect(aoi?.byState).toEqual({ running: expect.closeTo(12, 9), idle: expect.closeTo(2, 9), down: expect.closeTo(4, 9), setup: 0, plannedStop: expect.closeTo(2, 9), offline: 0 })
    expect(aoi?.meter).toEqual({ checkedIntervals: 3, rejectedReadings: 2, rejectedKwh: 11 })
    // 18:30-18:45's 7 kWh is kept as energy but, at 28 kW, is no demand a 20 kW machine can draw in
    // 15 min: the peak is 17:15-17:30's 4 kWh that were kept.
    expect(aoi?.peakDemand).toMatchObject({ kw: 16, start: new Date(L(17, 15)).toISOString() })
    expect(printer?.kwh).toBeCloseTo(10, 9)
    expect(printer?.meter).toEqual({ checkedIntervals: 4, rejectedReadings: 4, rejectedKwh: 1_000_043 })
    expect(r.kwh).toBeCloseTo(30, 9)
    expect(r.cost.vnd).toBeCloseTo((11 + 10) * NORMAL + (2 + 7) * PEAK, 6)
    // From 17:20 the 17:15 quarter is cut: its minutes 17:28-17:29 (4 kWh) and 17:29-17:30 (5 kWh)
    // are the suspect intervals, checked the same way: 4 kept, 5 out; then 6 out, 2 and 7 kept.
    const cut = await energy({ machine: AOI, from: local(17, 20), to: local(19), maxKw: '20' })
    expect(cut.kwh).toBeCloseTo(4 + 2 + 7, 9)
    expect(cut.meter).toEqual({ checkedIntervals: 4, rejectedReadings: 2, rejectedKwh: 11 })
    expect(cut.byState.down).toBeCloseTo(4, 9)
    expect(r.units).toEqual({ produced: 150, good: 147, rejected: 3 })
  })

  it('energy reads a quarter hour that the window edge cuts minute by minute', async () => {
    // 16:05-19:00: the quarter 16:00-16:15 is cut, its minutes from 16:05 count (3 kWh at 16:10);
    // 16:11-19:00 leaves that reading out.
    const a = await energy({ machine: AOI, from: local(16, 5), to: local(19), bucket: 'hour' })
    expect(a.kwh).toBeCloseTo(31, 9)
    expect(a.byState.running).toBeCloseTo(12, 9)
    expect(a.buckets[0]).toMatchObject({ key: '2026-05-04T16', start: new Date(L(16, 5)).toISOString(), kwh: expect.closeTo(7, 9) })
    const b = await energy({ machine: AOI, from: local(16, 11), to: local(19) })
    expect(b.kwh).toBeCloseTo(28, 9)
    expect(b.cost.vnd).toBeCloseTo(13 * NORMAL + 15 * PEAK, 6)
  })

  it('energy books a reading on a window edge in the window that ends at it', async () => {
    // 17:30's 5 kWh is 17:15-17:30: in a window to 17:30, not in one from 17:30; also minute by
    // minute where the edge cuts a quarter (17:10, 17:40).
    for (const [from, to, kwh] of [
      [local(16), local(17, 30), 3 + 3 + 1 + 4 + 5],
      [local(17, 30), local(19), 6 + 2 + 7],
      [local(17, 10), local(17, 30), 4 + 5],
      [local(17, 30), local(17, 40), 0],
      [local(17, 29), local(17, 30), 5],
    ] as const) {
      const r = await energy({ machine: AOI, from, to })
      expect(r.kwh, `${from} - ${to}`).toBeCloseTo(kwh, 9)
    }
  })

  it('energy prices the power factor below 0.9 by the reactive power rule (Circular 15/2014/TT-BCT)', async () => {
    const r = await energy({ line: LINE, ...WINDOW })
    const aoi = r.machines.find((m) => m.machine === AOI)
    // aoi: 31 kWh, 40 kvarh: cos φ 0.6125 -> 0.61, k 47.54 % of its 80,298 VND
    expect(aoi?.reactiveCharge).toEqual({ rule: 'moit-15-2014', cosPhi: 0.61, kPercent: 47.54, vnd: expect.closeTo(80_298 * 0.4754, 6) })
    // The line: 89 kWh, 40 kvarh: cos φ 0.912 -> 0.91, nothing to pay.
    expect(r.reactiveCharge).toEqual({ rule: 'moit-15-2014', cosPhi: 0.91, kPercent: 0, vnd: 0 })
    // printer: no reactive register, no power factor, no charge.
    expect(r.machines.find((m) => m.machine === PRINTER)?.reactiveCharge).toEqual({ rule: 'moit-15-2014', cosPhi: null, kPercent: null, vnd: null })
    expect(r.reference.reactivePower).toEqual([expect.objectContaining({ id: 'moit-15-2014', effectiveFrom: '2014-12-10', minCosPhi: 0.9, source: expect.stringContaining('15/2014/TT-BCT') })])
  })

  it('energy gives the EnPI of the window, its buckets and machines against a baseline period', async () => {
    // Baseline 16:00-17:00: aoi 3+3+1 = 7 kWh for 98 good units. Reporting 17:00-19:00: 4+5+6+2+7 =
    // 24 kWh for 49 good units: SEC 24/49 against 7/98, 41/7 more per unit; at the baseline rate
    // 49 units take 3.5 kWh, 20.5 fewer than used.
    const r = await energy({ machine: AOI, from: local(17), to: local(19), bucket: 'hour', baselineFrom: local(16), baselineTo: local(17) })
    const want = { kwhPerGoodUnit: expect.closeTo(24 / 49, 12), change: expect.closeTo(41 / 7, 12), expectedKwh: expect.closeTo(3.5, 12), savingsKwh: expect.closeTo(-20.5, 12) }
    expect(r.enpi).toEqual({ baseline: { from: new Date(L(16)).toISOString(), to: new Date(L(17)).toISOString(), kwh: expect.closeTo(7, 12), goodUnits: 98, kwhPerGoodUnit: expect.closeTo(7 / 98, 12) }, ...want })
    expect(r.machines[0]?.enpi).toMatchObject(want)
    // 17:00-18:00: 15 kWh, no unit made: no SEC, expected 0.
    expect(r.buckets[0]?.enpi).toMatchObject({ kwhPerGoodUnit: null, change: null, expectedKwh: 0, savingsKwh: expect.closeTo(-15, 12) })
    expect((await energy({ machine: AOI, ...WINDOW })).enpi).toBeNull()
  })

  it('energy of one machine, and of the factory', async () => {
    const m = await energy({ machine: AOI, ...WINDOW })
    expect(m.kwh).toBeCloseTo(31, 9)
    expect(m.scope.unitMachines).toEqual([AOI])
    expect(m.machines.map((x) => x.machine)).toEqual([AOI])
    const f = await energy({ factory: FACTORY, ...WINDOW, bucket: 'day' })
    expect(f.kwh).toBeCloseTo(89, 9)
    expect(f.buckets.map((b) => [b.key, b.start, b.end])).toEqual([['2026-05-04', new Date(L(16)).toISOString(), new Date(L(19)).toISOString()]])
  })

  it('energy answers CSV: one row for the window, then each machine', async () => {
    const res = await get({ line: LINE, ...WINDOW, format: 'csv' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    const lines = res.body.trim().split('\r\n')
    const header = (lines[0] as string).split(',')
    expect(header.slice(0, 6)).toEqual(['level', 'path', 'bucket', 'start', 'end', 'kwh'])
    expect(lines).toHaveLength(4) // header, line, 2 machines
    const row = Object.fromEntries(header.map((h, i) => [h, (lines[1] as string).split(',')[i]]))
    expect(Number(row['kwh'])).toBeCloseTo(89, 9)
    expect(Number(row['cost.vnd'])).toBeCloseTo(261_732, 6)
    expect(row['co2.factorYears']).toBe('2023')
  })

  it.each([
    ['no key', null, 401, 'SHOPFLOOR_API_UNAUTHORIZED'],
    ['a plant engineer of another factory', 'otherPlant', 403, 'SHOPFLOOR_API_FORBIDDEN'],
    ['an analyst', 'analyst', 403, 'SHOPFLOOR_API_FORBIDDEN'],
  ] as const)('energy refuses %s', async (_name, role, status, code) => {
    const res = await get({ line: LINE, ...WINDOW }, role)
    expect(res.statusCode).toBe(status)
    expect(res.json().error.code).toBe(code)
  })

  it.each([
    ['a window edge inside a minute', { line: LINE, from: local(16, 0, 30), to: local(19) }, 'from'],
    ['no scope', { ...WINDOW }, 'machine'],
    ['an unknown parameter', { line: LINE, ...WINDOW, colour: 'red' }, 'colour'],
    ['a negative maxKw', { line: LINE, ...WINDOW, maxKw: '-1' }, 'maxKw'],
    ['a bucket that does not exist', { line: LINE, ...WINDOW, bucket: 'fortnight' }, 'bucket'],
    ['a baseline start without its end', { line: LINE, ...WINDOW, baselineFrom: local(14) }, 'baselineTo'],
    ['a baseline that ends before it starts', { line: LINE, ...WINDOW, baselineFrom: local(15), baselineTo: local(14) }, 'baselineTo'],
    ['a baseline edge inside a minute', { line: LINE, ...WINDOW, baselineFrom: local(14, 0, 30), baselineTo: local(15) }, 'baselineFrom'],
  ])('energy answers 400 naming the parameter for %s', async (_name, query, param) => {
    const res = await get(query as Record<string, string>, 'admin')
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().error).toMatchObject({ code: 'SHOPFLOOR_API_BAD_PARAM', param })
  })

  it('energy answers 404 for a line no agent announces', async () => {
    const res = await get({ line: `${FACTORY}/smt/line-9`, ...WINDOW })
    expect(res.statusCode).toBe(404)
    expect(res.json().error).toMatchObject({ code: 'SHOPFLOOR_API_NOT_FOUND', param: 'line' })
  })
})
