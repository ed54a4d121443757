// The KPI routes against chDB: a hand-made shift of two lines, stored through the real ingest
// path (Avro encoded, Ingest's in-process handler, which fills the state intervals and the
// rollups), then asked through the app with each role's key. Every expected number is worked by
// hand in the comments, from the timeline below.
//
// Factory hcmc/vsip-1/saigon-pcb (seed: calendar three-shift, Asia/Ho_Chi_Minh, microStopS 120).
// Saturday 2026-11-21, shift A 06:00-14:00 local with a meal break 10:00-10:30: production time
// 06:00-10:00 and 10:30-14:00 = 450 min = 27000 s.
//
// line-1 (line ideal cycle 30 s): printer (ideal 20 s) -> aoi (ideal 25 s, end of line)
//   aoi      05:50 RUNNING
//            07:00 DOWN JAM, 07:00:30 DOWN FEEDER (a reason update: the same stop, reason JAM)
//            07:10 RUNNING                       -> failure 10 min
//            08:00 DOWN NOZZLE, 08:01 RUNNING    -> micro-stop 60 s (< 120 s)
//            09:00 SETUP, 09:20 RUNNING          -> setup 20 min
//            10:00 PLANNED_STOP, 10:30 RUNNING   -> in the break: outside the plan
//            12:00 IDLE, 12:30 RUNNING           -> idle 30 min
//            13:50 DOWN JAM, 14:10 RUNNING       -> failure, 10 min inside the shift
//            counts 06:30 100/2, 09:30 200/3, 13:00 300/5 (produced/rejected); 10:15 10/0 in the break
//            kWh 06:30 5, 10:15 1 (break)
//   printer  05:00 RUNNING, 11:00 DOWN SQUEEGEE, 11:05 RUNNING; count 13:00 700/0; kWh 07:00 10
// line-2 (line ideal cycle 60 s): press (end of line), no data before 10:30 RUNNING; count 12:00 189/0
//
// aoi in production time: running 60+50+59+40+90+80 = 379 min, micro 1, failure 10+10 = 20,
// setup 20, idle 30: PBT 450 min = 27000 s, APT 380 min = 22800 s, 2 failures.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DowntimeResponse, OeeResponse, TimelineRow } from '../../api/kpi-service.ts'
import { migrate, openClickhouse, type Clickhouse, type MachineStateCode, type ShopfloorEvent } from '../../stream/index.ts'
import { storeEvents, testApi, type TestApi, type TestRole } from '../support/api.ts'

const FACTORY = 'hcmc/vsip-1/saigon-pcb'
const AREA = `${FACTORY}/smt`
const LINE = `${AREA}/line-1`
const LINE2 = `${AREA}/line-2`
const AOI = `${LINE}/aoi`
const PRINTER = `${LINE}/printer`
const PRESS = `${LINE2}/press`
/** A factory the seed does not list: defaults (calendar default-24x7). */
const POPUP = 'hcmc/vsip-9/popup-fab/assembly/l1/m1'

/** Local time (UTC+7) on 2026-11-21, epoch ms: L(6) is 06:00. */
const L = (h: number, m = 0, s = 0): number => Date.UTC(2026, 10, 20, 23) + ((h - 6) * 3600 + m * 60 + s) * 1000
const local = (h: number, m = 0): string => `2026-11-21T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00+07:00`
const NOW = L(20)
const SHIFT = { from: local(6), to: local(14) }

function scenario(): ShopfloorEvent[] {
  const out: ShopfloorEvent[] = []
  let seq = 0
  const head = (machine: string, ts: number) => {
    seq++
    return { event_id: `gw-kpi:${seq}`, agent_id: 'gw-kpi', seq, machine, source_ts: ts, receive_ts: ts + 5 }
  }
  const state = (machine: string, ts: number, s: MachineStateCode, reason: string | null = null): void => {
    out.push({ type: 'machine_state', event: { ...head(machine, ts), state: s, reason } })
  }
  const count = (machine: string, ts: number, produced: number, rejected: number, ideal: number): void => {
    out.push({ type: 'production_count', event: { ...head(machine, ts), produced, rejected, ideal_cycle_s: ideal, product: null } })
  }
  const kwh = (machine: string, ts: number, k: number): void => {
    out.push({ type: 'energy_reading', event: { ...head(machine, ts), kwh: k, kwh_total: 1000 + k, kw: null } })
  }
  seq++
  out.push({
    type: 'agent_heartbeat',
    event: {
      event_id: `gw-kpi:${seq}`,
      agent_id: 'gw-kpi',
      seq,
      source_ts: L(5),
      version: '0.1.0',
      started_ts: L(5),
      machines: [
        { machine: PRINTER, name: 'printer', position: 0, ideal_cycle_s: 20, line_ideal_cycle_s: 30, end_of_line: false },
        { machine: AOI, name: 'aoi', position: 1, ideal_cycle_s: 25, line_ideal_cycle_s: 30, end_of_line: true },
        { machine: PRESS, name: 'press', position: 0, ideal_cycle_s: 60, line_ideal_cycle_s: 60, end_of_line: true },
        { machine: POPUP, name: 'm1', position: 0, ideal_cycle_s: 10, line_ideal_cycle_s: 10, end_of_line: true },
      ],
    },
  })
  // In time order, as an agent sends them (ingest fills each state row's interval in order).
  state(PRINTER, L(5), 'RUNNING')
  state(POPUP, L(5), 'RUNNING')
  state(AOI, L(5, 50), 'RUNNING')
  count(AOI, L(6, 30), 100, 2, 25)
  kwh(AOI, L(6, 30), 5)
  state(AOI, L(7), 'DOWN', 'JAM')
  kwh(PRINTER, L(7), 10)
  state(AOI, L(7, 0, 30), 'DOWN', 'FEEDER')
  state(AOI, L(7, 10), 'RUNNING')
  state(AOI, L(8), 'DOWN', 'NOZZLE')
  state(AOI, L(8, 1), 'RUNNING')
  state(AOI, L(9), 'SETUP', 'CHANGEOVER')
  state(AOI, L(9, 20), 'RUNNING')
  count(AOI, L(9, 30), 200, 3, 25)
  state(AOI, L(10), 'PLANNED_STOP', 'MEAL')
  count(AOI, L(10, 15), 10, 0, 25)
  kwh(AOI, L(10, 15), 1)
  state(AOI, L(10, 30), 'RUNNING')
  state(PRESS, L(10, 30), 'RUNNING')
  state(PRINTER, L(11), 'DOWN', 'SQUEEGEE')
  state(PRINTER, L(11, 5), 'RUNNING')
  state(AOI, L(12), 'IDLE', 'NO_BOARDS')
  count(PRESS, L(12), 189, 0, 60)
  count(POPUP, L(12), 2000, 0, 10)
  state(AOI, L(12, 30), 'RUNNING')
  count(AOI, L(13), 300, 5, 25)
  count(PRINTER, L(13), 700, 0, 20)
  state(AOI, L(13, 50), 'DOWN', 'JAM')
  state(AOI, L(14, 10), 'RUNNING')
  return out
}

let dir: string
let ch: Clickhouse
let api: TestApi

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-api-kpi-'))
  ch = await openClickhouse({ path: join(dir, 'chdb'), database: 'api_kpi' })
  await migrate(ch)
  expect((await storeEvents(ch, scenario())).malformed).toBe(0)
  api = await testApi({ clickhouse: ch, now: () => NOW })
})

afterAll(async () => {
  await api?.close()
  await ch?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const get = (url: string, query: Record<string, string>, role: TestRole | null = 'plant') => api.inject(role, { method: 'GET', url, query })
async function oee(query: Record<string, string>): Promise<OeeResponse> {
  const res = await get('/api/v1/oee', query)
  expect(res.statusCode, res.body).toBe(200)
  return res.json<OeeResponse>()
}

describe('GET /api/v1/oee', () => {
  it('oee judges line-1 by the AOI at the line ideal cycle, with the waterfall, MTBF and MTTR worked by hand', async () => {
    const r = await oee({ line: LINE, ...SHIFT })
    expect(r.scope).toMatchObject({ level: 'line', path: LINE, factory: FACTORY, bucket: 'none', microStopS: 120, timezone: 'Asia/Ho_Chi_Minh', calendar: 'three-shift', calendarDefaulted: false })
    expect(r.judgedBy).toEqual({ machine: AOI, idealCycleS: 30 })
    // 600 units in production time (the 10 of the break are not), 10 rejected, at 30 s: ideal
    // 18000 s, rejected 300 s, good 17700 s. Running 379 min = 22740 s: speed 22740 − 18000.
    expect(r.waterfall).toEqual({
      plannedBusy: 27000,
      setup: 1200,
      failure: 1200,
      idle: 1800,
      actualProduction: 22800,
      microStops: 60,
      speed: 4740,
      net: 18000,
      quality: 300,
      fullyProductive: 17700,
    })
    expect(r.availability).toBeCloseTo(22800 / 27000, 12)
    expect(r.performance).toBeCloseTo(18000 / 22800, 12)
    expect(r.quality).toBeCloseTo(17700 / 18000, 12)
    expect(r.oee).toBeCloseTo(17700 / 27000, 12)
    expect(r.counts).toEqual({ produced: 600, good: 590, rejected: 10 })
    expect(r.failures).toBe(2)
    expect(r.mtbfS).toBe(11400) // APT 22800 s / 2
    expect(r.mttrS).toBe(600) // 1200 s / 2
    expect(r.throughput.producedPerHour).toBeCloseTo(80, 12) // 600 / 7.5 h
    expect(r.scrapRatio).toBeCloseTo(10 / 600, 12)
    // The line's energy in production time: aoi 5 + printer 10 kWh; the break's 1 kWh beside it.
    expect(r.energy).toEqual({ kwh: 15, kwhPerGoodUnit: 15 / 590 })
    expect(r.outsidePlan).toEqual({
      seconds: { break: 1800, holiday: 0, planned_downtime: 0, no_shift: 0 },
      states: { running: 0, microStops: 0, down: 0, idle: 0, setup: 0, plannedStop: 1800, offline: 0 },
      counts: { produced: 10, good: 10, rejected: 0 },
      kwh: 1,
    })
    expect(r.flags).toEqual(['units_outside_planned_time'])
    expect(r.machines.map((m) => m.machine)).toEqual([PRINTER, AOI])
    expect(r.lines).toEqual([])
  })

  it('oee gives each machine its own OEE at its own ideal cycle time', async () => {
    const r = await oee({ line: LINE, ...SHIFT })
    const [printer, aoi] = r.machines
    // AOI at 25 s: (600 − 10) × 25 = 14750 s good over 27000 s.
    expect(aoi?.oee).toBeCloseTo(14750 / 27000, 12)
    // Printer: running all shift but 11:00-11:05; 700 × 20 s = 14000 s.
    expect(printer?.waterfall).toMatchObject({ plannedBusy: 27000, failure: 300, actualProduction: 26700, net: 14000 })
    expect(printer?.oee).toBeCloseTo(14000 / 27000, 12)
    expect(printer?.outsidePlan.states.running).toBe(1800)
    const single = await oee({ machine: AOI, ...SHIFT })
    expect(single.oee).toBeCloseTo(14750 / 27000, 12)
    expect(single.machines).toEqual([])
  })

  it('oee sums the area and factory from the judged lines, not by averaging percentages', async () => {
    // line-2: the press has no data before 10:30 (offline, not in PBT): PBT 210 min = 12600 s,
    // 189 × 60 s = 11340 s good: 90 %. line-1 is 65.56 %. The area: (17700 + 11340) /
    // (27000 + 12600) = 73.33 %, where the mean of the two would be 77.78 %.
    const area = await oee({ area: AREA, ...SHIFT })
    expect(area.lines.map((l) => [l.line, l.judgedBy.machine, l.oee])).toEqual([
      [LINE, AOI, expect.closeTo(17700 / 27000, 12)],
      [LINE2, PRESS, expect.closeTo(0.9, 12)],
    ])
    expect(area.oee).toBeCloseTo(29040 / 39600, 12)
    expect(area.waterfall).toMatchObject({ plannedBusy: 39600, fullyProductive: 29040 })
    expect(area.flags).toEqual(expect.arrayContaining(['offline_in_planned_time', 'units_outside_planned_time']))
    const factory = await oee({ factory: FACTORY, ...SHIFT })
    expect(factory.oee).toBeCloseTo(29040 / 39600, 12)
    expect(factory.areas.map((a) => [a.area, a.oee])).toEqual([[AREA, expect.closeTo(29040 / 39600, 12)]])
    expect(factory.machines).toHaveLength(3)
  })

  it('oee cuts hour buckets at the break and sums them to the shift', async () => {
    const r = await oee({ line: LINE, ...SHIFT, bucket: 'hour' })
    expect(r.buckets.map((b) => b.key)).toEqual(['06', '07', '08', '09', '10', '11', '12', '13'].map((h) => `2026-11-21T${h}`))
    const [h6, h7, , , h10] = r.buckets
    // 06-07: running all hour, 100 units / 2 rejected at 30 s: 2940 s good / 3600 s.
    expect(h6?.oee).toBeCloseTo(2940 / 3600, 12)
    // 07-08: the 10-minute JAM: A = 50/60.
    expect(h7?.availability).toBeCloseTo(50 / 60, 12)
    // 10-11: half of it is the break; the 10 units made in it count in no OEE.
    expect(h10?.waterfall.plannedBusy).toBe(1800)
    expect(h10?.counts.produced).toBe(0)
    expect(h10?.outsidePlan.counts.produced).toBe(10)
    expect(r.buckets.reduce((a, b) => a + b.waterfall.plannedBusy, 0)).toBe(27000)
    expect(r.buckets.reduce((a, b) => a + b.waterfall.fullyProductive, 0)).toBeCloseTo(17700, 9)
    const shifts = await oee({ line: LINE, from: local(0), to: local(23, 59), bucket: 'shift' })
    expect(shifts.buckets.map((b) => b.key)).toEqual(['2026-11-20/C', '2026-11-21/A', '2026-11-21/B', '2026-11-21/C'])
    expect(shifts.buckets[1]?.oee).toBeCloseTo(17700 / 27000, 12)
  })

  it('oee takes the micro-stop threshold from the request before the factory\'s', async () => {
    // At 30 s the 60-second NOZZLE stop is a failure: 3 failures, APT 379 min.
    const r = await oee({ line: LINE, ...SHIFT, microStop: '30' })
    expect(r.scope.microStopS).toBe(30)
    expect(r.failures).toBe(3)
    expect(r.waterfall).toMatchObject({ failure: 1260, microStops: 0, actualProduction: 22740 })
  })

  it('oee flags a window that reaches past now, and counts only up to now', async () => {
    const early = await testApi({ clickhouse: ch, now: () => L(12) })
    try {
      const res = await early.inject('plant', { method: 'GET', url: '/api/v1/oee', query: { machine: PRINTER, ...SHIFT } })
      const r = res.json<OeeResponse>()
      // 06:00-10:00 and 10:30-12:00: 330 min, 5 of them down.
      expect(r.waterfall).toMatchObject({ plannedBusy: 19800, failure: 300 })
      expect(r.flags).toContain('incomplete')
    } finally {
      await early.close()
    }
  })

  it('oee uses the default calendar for a factory the seed does not list, and says so', async () => {
    const res = await get('/api/v1/oee', { machine: POPUP, ...SHIFT }, 'admin')
    expect(res.statusCode, res.body).toBe(200)
    const r = res.json<OeeResponse>()
    // default-24x7: the whole 8 hours are planned; 2000 × 10 s over 28800 s.
    expect(r.scope).toMatchObject({ calendar: 'default-24x7', calendarDefaulted: true })
    expect(r.waterfall.plannedBusy).toBe(28800)
    expect(r.oee).toBeCloseTo(20000 / 28800, 12)
    expect(r.flags).toContain('calendar_defaulted')
  })

  it('oee answers CSV: one row per set of figures', async () => {
    const res = await get('/api/v1/oee', { line: LINE, ...SHIFT, format: 'csv' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    const lines = res.body.trimEnd().split('\r\n')
    expect(lines[0]?.startsWith('level,path,bucket,start,end,availability,performance,quality,oee,waterfall.plannedBusy')).toBe(true)
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual([`line,${LINE}`, `machine,${PRINTER}`, `machine,${AOI}`])
  })
})

describe('GET /api/v1/timeline', () => {
  const short = (i: TimelineRow) => [i.start.slice(11, 19), i.end.slice(11, 19), i.state, i.reason, i.microStop]
  // Times in UTC: 06:00 local is 23:00 UTC the day before.
  const AOI_SHIFT = [
    ['23:00:00', '00:00:00', 'RUNNING', null, null],
    ['00:00:00', '00:10:00', 'DOWN', 'JAM', false],
    ['00:10:00', '01:00:00', 'RUNNING', null, null],
    ['01:00:00', '01:01:00', 'DOWN', 'NOZZLE', true],
    ['01:01:00', '02:00:00', 'RUNNING', null, null],
    ['02:00:00', '02:20:00', 'SETUP', 'CHANGEOVER', null],
    ['02:20:00', '03:00:00', 'RUNNING', null, null],
    ['03:00:00', '03:30:00', 'PLANNED_STOP', 'MEAL', null],
    ['03:30:00', '05:00:00', 'RUNNING', null, null],
    ['05:00:00', '05:30:00', 'IDLE', 'NO_BOARDS', null],
    ['05:30:00', '06:50:00', 'RUNNING', null, null],
    ['06:50:00', '07:00:00', 'DOWN', 'JAM', false],
  ]

  it('timeline gives the runs clipped to the window, each stop with the reason that opened it', async () => {
    const res = await get('/api/v1/timeline', { machine: AOI, ...SHIFT })
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json<{ intervals: TimelineRow[]; next: string | null }>()
    expect(body.intervals.map(short)).toEqual(AOI_SHIFT)
    expect(body.intervals[0]).toMatchObject({ since: new Date(L(5, 50)).toISOString(), seconds: 3600, open: false })
    expect(body.next).toBeNull()
  })

  it('timeline pages through the runs with a cursor', async () => {
    const seen: TimelineRow[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await get('/api/v1/timeline', { machine: AOI, ...SHIFT, limit: '5', ...(cursor ? { cursor } : {}) })
      expect(res.statusCode, res.body).toBe(200)
      const body = res.json<{ intervals: TimelineRow[]; next: string | null }>()
      seen.push(...body.intervals)
      cursor = body.next
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen.map(short)).toEqual(AOI_SHIFT)
  })

  it('timeline shows time before the first known state as OFFLINE NO_DATA', async () => {
    const res = await get('/api/v1/timeline', { machine: PRESS, ...SHIFT })
    expect(res.json<{ intervals: TimelineRow[] }>().intervals.map(short)).toEqual([
      ['23:00:00', '03:30:00', 'OFFLINE', 'NO_DATA', null],
      ['03:30:00', '07:00:00', 'RUNNING', null, null],
    ])
  })

  it('timeline answers CSV with the next page in a header', async () => {
    const res = await get('/api/v1/timeline', { machine: AOI, ...SHIFT, limit: '2', format: 'csv' })
    expect(res.statusCode).toBe(200)
    const lines = res.body.trimEnd().split('\r\n')
    expect(lines[0]).toBe('start,end,seconds,state,reason,since,microStop,open')
    expect(lines[2]).toBe(`${new Date(L(7)).toISOString()},${new Date(L(7, 10)).toISOString()},600,DOWN,JAM,${new Date(L(7)).toISOString()},false,false`)
    expect(res.headers['x-next-cursor']).toBeTruthy()
  })
})

describe('GET /api/v1/downtime', () => {
  it('downtime ranks the reasons of line-1 by seconds with stop counts', async () => {
    const res = await get('/api/v1/downtime', { line: LINE, ...SHIFT })
    expect(res.statusCode, res.body).toBe(200)
    const r = res.json<DowntimeResponse>()
    // JAM: 07:00-07:10 (opened as JAM, updated to FEEDER) and 13:50-14:00 of a stop to 14:10;
    // SQUEEGEE 5 min on the printer; NOZZLE a 60-second micro-stop. 1200 + 300 + 60 = 1560 s.
    expect(r.reasons.map((x) => [x.reason, x.seconds, x.stops, x.failures, x.microStops])).toEqual([
      ['JAM', 1200, 2, 2, 0],
      ['SQUEEGEE', 300, 1, 1, 0],
      ['NOZZLE', 60, 1, 0, 1],
    ])
    expect(r.reasons[0]?.share).toBeCloseTo(1200 / 1560, 12)
    expect(r.totals).toEqual({ seconds: 1560, stops: 4, failureSeconds: 1500, failures: 3, microStopSeconds: 60, microStops: 1 })
    expect(r.scope).toMatchObject({ level: 'line', machines: 2, microStopS: 120 })
  })

  it('downtime counts a stop begun before the window by its time inside, not as a stop', async () => {
    // From 07:06: 4 minutes of the first JAM (07:00-07:10), whose opening reason still names it.
    const r = (await get('/api/v1/downtime', { machine: AOI, from: local(7, 6), to: local(14) })).json<DowntimeResponse>()
    expect(r.reasons.map((x) => [x.reason, x.seconds, x.stops])).toEqual([
      ['JAM', 840, 1],
      ['NOZZLE', 60, 1],
    ])
  })

  it('downtime answers CSV', async () => {
    const res = await get('/api/v1/downtime', { factory: FACTORY, ...SHIFT, format: 'csv' })
    expect(res.body.trimEnd().split('\r\n')).toEqual([
      'reason,seconds,stops,failureSeconds,failures,microStopSeconds,microStops,share',
      `JAM,1200,2,1200,2,0,0,${1200 / 1560}`,
      `SQUEEGEE,300,1,300,1,0,0,${300 / 1560}`,
      `NOZZLE,60,1,0,0,60,1,${60 / 1560}`,
    ])
  })
})

describe('KPI routes refuse bad input and foreign callers', () => {
  it.each([
    ['/api/v1/oee', { ...SHIFT }, 'machine'],
    ['/api/v1/oee', { line: LINE, area: AREA, ...SHIFT }, 'area'],
    ['/api/v1/oee', { line: LINE, to: SHIFT.to }, 'from'],
    ['/api/v1/oee', { line: LINE, from: '2026-11-21T06:00:00', to: SHIFT.to }, 'from'],
    ['/api/v1/oee', { line: LINE, from: SHIFT.to, to: SHIFT.from }, 'to'],
    ['/api/v1/oee', { line: LINE, ...SHIFT, bucket: 'fortnight' }, 'bucket'],
    ['/api/v1/oee', { line: LINE, from: '2026-01-01T00:00:00Z', to: '2026-12-31T00:00:00Z', bucket: 'hour' }, 'bucket'],
    ['/api/v1/oee', { line: LINE, ...SHIFT, microStop: '-1' }, 'microStop'],
    ['/api/v1/oee', { line: `${LINE}/aoi`, ...SHIFT }, 'line'],
    ['/api/v1/oee', { line: LINE, ...SHIFT, colour: 'red' }, 'colour'],
    ['/api/v1/timeline', { machine: AOI, line: LINE, ...SHIFT }, 'line'],
    ['/api/v1/timeline', { machine: AOI, ...SHIFT, limit: '0' }, 'limit'],
    ['/api/v1/timeline', { machine: AOI, ...SHIFT, cursor: 'nonsense' }, 'cursor'],
    ['/api/v1/downtime', { machine: 'a/b', ...SHIFT }, 'machine'],
  ])('%s answers 400 naming the parameter for %j', async (url, query, param) => {
    const res = await get(url, query as Record<string, string>)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json()).toMatchObject({ error: { code: 'SHOPFLOOR_API_BAD_PARAM', param } })
  })

  it.each(['/api/v1/oee', '/api/v1/timeline', '/api/v1/downtime'])('%s answers 404 naming an unknown machine', async (url) => {
    const res = await get(url, { machine: `${LINE}/ghost`, ...SHIFT })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toMatchObject({ error: { code: 'SHOPFLOOR_API_NOT_FOUND', param: 'machine', message: expect.stringContaining(`${LINE}/ghost`) as string } })
  })

  it.each(['/api/v1/oee', '/api/v1/timeline', '/api/v1/downtime'])('%s answers 401 without a key and 403 to a foreign plant engineer or an analyst', async (url) => {
    const query = { machine: AOI, ...SHIFT }
    expect((await get(url, query, null)).statusCode).toBe(401)
    for (const role of ['otherPlant', 'analyst'] as const) {
      const res = await get(url, query, role)
      expect(res.statusCode, `${role}: ${res.body}`).toBe(403)
      expect(res.json()).toMatchObject({ error: { code: 'SHOPFLOOR_API_FORBIDDEN' } })
    }
    expect((await get(url, query, 'admin')).statusCode).toBe(200)
  })
})
