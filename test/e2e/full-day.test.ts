// A full simulated production day through the whole pipeline: the simulated SMT line (a real
// node-opcua server on an accelerated clock) -> the edge agent -> the Kafka broker -> ingest ->
// chDB -> the API. Three shifts with breaks, a planned downtime window, changeovers, failures,
// micro-stops, idle time and rejects; every KPI of every machine, per shift and for the day,
// must equal the simulator's ground truth.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import {
  FactorySim,
  SMT_DAY_LINE,
  Scenario,
  acceleratedClock,
  createLogger,
  machineTruth,
  productionPieces,
  reliability,
  shiftsOf,
  silentLogger,
  type MachineTruth,
  type SimState,
  type AcceleratedClock,
  type SimIncident,
  type SimPlanSegment,
} from '../../connectors/index.ts'
import { EdgeAgent, parseEdgeConfig } from '../../edge/index.ts'
import { EventCodec, Ingest, migrate, openClickhouse, type Clickhouse } from '../../stream/index.ts'
import { openTransport } from '../../edge/cli/pipeline.ts'
import { fromWall, localDate, planSegments, shiftOccurrences } from '../../api/calendar/index.ts'
import { factoryOf, loadReference, type Reference } from '../../api/reference/index.ts'
import type { DowntimeResponse, OeeResponse } from '../../api/kpi-service.ts'
import type { KpiFigures } from '../../api/kpi/figures.ts'
import type { EnergyFigures } from '../../api/energy/figures.ts'
import type { EnergyResponse } from '../../api/energy/service.ts'
import { testApi, type TestApi } from '../support/api.ts'
import { kafkaBrokers, uniqueTopic } from '../support/kafka.ts'
import { waitFor } from '../support/wait.ts'

const FACTORY = 'hcmc/vsip-1/saigon-pcb'
/**
 * The latest day, two or more days back, on which the factory works three shifts: over before the
 * test starts, so the agent's own real-time events (heartbeats, OFFLINE when it stops) all fall
 * after it; and recent, because the minute rollup spreads the state before that OFFLINE over every
 * minute since the day (with a date a year back one insert took over a minute).
 */
const PRODUCTION_DATE = recentThreeShiftDay(loadReference())
/** Simulated ms per real ms: the 24 h day passes in 144 s. */
const SPEED = Number(process.env.SHOPFLOOR_FULL_DAY_SPEED ?? 600)
/** Real time from the agent's first reading to the day's start. */
const LEAD_REAL_MS = 1000
/** Real time after the day's end for its last values to be published. */
const TAIL_REAL_MS = 2000
const SEED = 2026
/** The energy meters' reading interval, simulated ms (they also read at every state change). */
const METER_INTERVAL_MS = 10_000

let dir: string
let factory: FactorySim
let clock: AcceleratedClock
let store: Clickhouse
let agent: EdgeAgent
let ingest: Ingest
let closeTransport: () => Promise<void> = async () => {}
let reference: Reference
let plan: SimPlanSegment[]
let dayStart: number
let dayEnd: number
let runMs = 0
let api: TestApi

function shiftsOn(ref: Reference, date: string): ReturnType<typeof shiftOccurrences> {
  const site = factoryOf(ref, FACTORY)
  const midnight = fromWall(site.timezone, Date.parse(`${date}T00:00:00Z`))
  return shiftOccurrences(site.calendar, site.timezone, midnight, midnight + 48 * 3_600_000).filter((o) => o.shift.date === date)
}

function recentThreeShiftDay(ref: Reference): string {
  const tz = factoryOf(ref, FACTORY).timezone
  for (let back = 2; back <= 16; back++) {
    const date = localDate(tz, Date.now() - back * 86_400_000)
    if (shiftsOn(ref, date).length === 3) return date
  }
  throw new Error(`the calendar of ${FACTORY} has no day with three shifts in the last two weeks; the test needs one`)
}

/** The factory's shifts of the production date as the API's calendar lays them out: the plan the simulated day follows. */
function dayPlan(ref: Reference): { plan: SimPlanSegment[]; start: number; end: number } {
  const site = factoryOf(ref, FACTORY)
  const shifts = shiftsOn(ref, PRODUCTION_DATE)
  if (shifts.length !== 3) throw new Error(`calendar "${site.calendarId}" of ${FACTORY} has ${shifts.length} shifts on ${PRODUCTION_DATE}, the test needs three`)
  const start = (shifts[0] as (typeof shifts)[number]).start
  const end = (shifts.at(-1) as (typeof shifts)[number]).end
  return { plan: planSegments(site.calendar, site.timezone, start, end), start, end }
}

/** A copy of the API's seed files where the factory's calendar has an hour of planned maintenance in shift B of the production date. */
function seedDirWithDowntime(): string {
  const seedDir = join(dir, 'seed')
  cpSync(join(import.meta.dirname, '..', '..', 'api', 'seed'), seedDir, { recursive: true })
  const calendarId = factoryOf(loadReference(seedDir), FACTORY).calendarId
  const file = join(seedDir, 'calendars.yaml')
  const doc = parse(readFileSync(file, 'utf8')) as { calendars: Array<{ id: string; plannedDowntime?: unknown[] }> }
  const cal = doc.calendars.find((c) => c.id === calendarId) as (typeof doc.calendars)[number]
  cal.plannedDowntime = [...(cal.plannedDowntime ?? []), { start: `${PRODUCTION_DATE}T15:00`, end: `${PRODUCTION_DATE}T16:00`, reason: 'monthly feeder calibration' }]
  writeFileSync(file, stringify(doc))
  return seedDir
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-full-day-'))
  reference = loadReference(seedDirWithDowntime())
  ;({ plan, start: dayStart, end: dayEnd } = dayPlan(reference))
  const boundary = (shift: string): number => (plan.find((p) => p.shift?.name === shift) as SimPlanSegment).start
  // Stops the KPIs must split at a shift change: a failure from A into B, a micro-stop from B into C.
  const incidents: SimIncident[] = [
    { machine: 'pick-place', at: boundary('B') - 10 * 60_000, durS: 25 * 60, state: 'DOWN', reason: 'FEEDER_JAM' },
    { machine: 'printer', at: boundary('C') - 40_000, durS: 90, state: 'DOWN', reason: 'BOARD_JAM' },
  ]
  const scenario = Scenario.day(SMT_DAY_LINE, { seed: SEED, plan, incidents })

  store = await openClickhouse({ path: join(dir, 'chdb'), database: 'full_day' })
  await migrate(store)
  const codec = new EventCodec()
  const prefix = uniqueTopic('full-day')
  const { publisher, subscriber, close } = await openTransport({ brokers: kafkaBrokers(), topicPrefix: prefix, groupId: `${prefix}-ingest`, logger: silentLogger })
  closeTransport = close
  ingest = new Ingest({ clickhouse: store, codec, logger: silentLogger })
  await subscriber.run(ingest.handle)

  // The simulated clock stands still before the day until the agent has read the PLC's values
  // (a counter's first reading is its baseline): they come in one notification, with each
  // machine's first state. Then it runs, the lead giving the agent a margin.
  clock = acceleratedClock({ startMs: dayStart - LEAD_REAL_MS * SPEED, speed: SPEED, paused: true })
  factory = await FactorySim.start({ scenario, clock, meter: 'opcua', meterIntervalMs: METER_INTERVAL_MS })
  // Sampling 0: the server reports every change of a value, not the last one per interval.
  const config = factory.edgeConfig({ agentId: 'gw-full-day', stateDir: join(dir, 'agent'), samplingIntervalMs: 0, publishingIntervalMs: 100, queueSize: 1000 })
  agent = new EdgeAgent({ config: parseEdgeConfig(stringify(config), 'full-day.yaml'), publisher, topicPrefix: prefix, codec })
  const began = performance.now()
  await agent.start()
  await waitFor('the agent to read the PLC', () => agent.stats.events.machine_state >= SMT_DAY_LINE.length, 30_000)
  clock.run()
  await new Promise((r) => setTimeout(r, Math.max(0, (dayEnd - clock.now()) / SPEED + TAIL_REAL_MS)))
  await agent.stop()
  const sent = agent.stats.publish.sent
  await waitFor(`ingest to store ${sent} events`, () => ingest.stats.messages >= sent, 60_000)
  runMs = performance.now() - began
  // Errors only: a 500 shows its cause in the test's output.
  api = await testApi({ clickhouse: store, reference, logger: createLogger({ level: 'error', name: 'full-day-api' }) })
}, 360_000)

afterAll(async () => {
  await api?.close().catch(() => {})
  await closeTransport().catch(() => {})
  await store?.close().catch(() => {})
  await factory?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const DAY_MACHINES = SMT_DAY_LINE.map((m) => m.id)

// Tolerances. State times are exact: the PLC stamps every change to the ms, the agent keeps that
// timestamp, ClickHouse stores DateTime64(3); seconds are compared to 1 µs (ms / 1000 in floating
// point). Counts are exact. Ratios are compared to 1e-9 (sums of ideal times in floating point).
// Energy is metered: a reading (every METER_INTERVAL_MS and at each state change) holds the energy
// used since the reading before, and is booked in the interval that ends at it. The meter reads on
// every whole minute, so on every edge of a window, shift, break or quarter hour: the booked kWh
// is the load's energy exactly, compared to 1e-6 kWh (floating point; `meterReadsOn` checks the
// premise edge by edge).
const SECONDS = 1e-6
const RATIO = 1e-9
const KWH = 1e-6

const iso = (ms: number): string => new Date(ms).toISOString()

function near(got: number | null | undefined, want: number | null, tolerance: number, what: string): void {
  if (want === null) {
    expect(got ?? null, what).toBeNull()
    return
  }
  expect(got, what).not.toBeNull()
  expect(Math.abs((got as number) - want), `${what}: API ${got} vs truth ${want} (tolerance ${tolerance})`).toBeLessThanOrEqual(tolerance)
}

/** The premise of comparing energy exactly: the meters read on every edge of [from, to) and of its production pieces. */
function meterReadsOn(machineIds: readonly string[], from: number, to: number): void {
  const edges = new Set([from, to, ...productionPieces(plan, from, to).flatMap((p) => [p.start, p.end])])
  for (const id of machineIds) for (const e of edges) expect(factory.lastMeterReading(id, e), `${id}'s meter reads at ${iso(e)}`).toBe(e)
}

/** Every KPI of a figure set against the truth; `kwh` is the truth's energy (production time and outside it). */
function expectKpis(got: KpiFigures, t: MachineTruth, kwh: { production: number; outside: number }, what: string): void {
  const s = (ms: number): number => ms / 1000
  expect(got.counts, `${what} counts`).toEqual({ produced: t.produced, good: t.good, rejected: t.rejected })
  expect(got.failures, `${what} failures`).toBe(t.failures)
  const seconds: Array<[string, number, number]> = [
    ['plannedBusy', got.seconds.plannedBusy, s(t.plannedBusyMs)],
    ['actualProduction', got.seconds.actualProduction, s(t.actualProductionMs)],
    ['running', got.seconds.running, s(t.ms.RUNNING)],
    ['microStops', got.seconds.microStops, s(t.microStopMs)],
    ['down', got.seconds.down, s(t.downMs)],
    ['setup', got.seconds.setup, s(t.ms.SETUP)],
    ['idle', got.seconds.idle, s(t.ms.IDLE)],
    ['plannedStop', got.seconds.plannedStop, s(t.ms.PLANNED_STOP)],
    ['offline', got.seconds.offline, 0],
    ['waterfall.plannedBusy', got.waterfall.plannedBusy, t.waterfall.plannedBusyS],
    ['waterfall.setup', got.waterfall.setup, t.waterfall.setupS],
    ['waterfall.failure', got.waterfall.failure, t.waterfall.failureS],
    ['waterfall.idle', got.waterfall.idle, t.waterfall.idleS],
    ['waterfall.actualProduction', got.waterfall.actualProduction, s(t.actualProductionMs)],
    ['waterfall.microStops', got.waterfall.microStops, t.waterfall.microStopS],
    ['waterfall.speed', got.waterfall.speed, t.waterfall.speedS],
    ['waterfall.net', got.waterfall.net, t.waterfall.fullyProductiveS + t.waterfall.qualityS],
    ['waterfall.quality', got.waterfall.quality, t.waterfall.qualityS],
    ['waterfall.fullyProductive', got.waterfall.fullyProductive, t.waterfall.fullyProductiveS],
    ['outside running', got.outsidePlan.states.running, s(t.outsideMs.RUNNING)],
    ['outside down', got.outsidePlan.states.down + got.outsidePlan.states.microStops, s(t.outsideMs.DOWN)],
    ['outside idle', got.outsidePlan.states.idle, s(t.outsideMs.IDLE)],
    ['outside setup', got.outsidePlan.states.setup, s(t.outsideMs.SETUP)],
    ['outside plannedStop', got.outsidePlan.states.plannedStop, s(t.outsideMs.PLANNED_STOP)],
  ]
  for (const [name, g, w] of seconds) near(g, w, SECONDS, `${what} seconds.${name}`)
  const { mtbfS, mttrS } = reliability(t)
  near(got.mtbfS, mtbfS, SECONDS, `${what} MTBF`)
  near(got.mttrS, mttrS, SECONDS, `${what} MTTR`)
  for (const k of ['availability', 'performance', 'quality', 'oee'] as const) near(got[k], t[k], RATIO, `${what} ${k}`)
  expect(got.outsidePlan.counts, `${what} units outside production time`).toEqual({ produced: t.outsideProduced, good: t.outsideProduced - t.outsideRejected, rejected: t.outsideRejected })
  near(got.energy.kwh, kwh.production, KWH, `${what} kWh in production time`)
  near(got.energy.kwhPerGoodUnit, t.good > 0 ? kwh.production / t.good : null, KWH / Math.max(1, t.good), `${what} kWh per good unit`)
  near(got.outsidePlan.kwh, kwh.outside, KWH, `${what} kWh outside production time`)
}

/** The day and each shift: [label, from, to, bucket key]. */
function windows(): Array<[string, number, number, string | null]> {
  return [['day', dayStart, dayEnd, null], ...shiftsOf(plan).map((sh): [string, number, number, string] => [`shift ${sh.name}`, sh.start, sh.end, `${sh.date}/${sh.name}`])]
}

/** The meter's kWh booked in (a, b]: the readings taken in it, each holding the energy since the reading before. */
const bookedKwh = (id: string, a: number, b: number): number => factory.meteredKwh(id, a, b)

type OeeTimeKwh = EnergyFigures['byOeeTime']
const STATE_KEY = { RUNNING: 'running', IDLE: 'idle', DOWN: 'down', SETUP: 'setup', PLANNED_STOP: 'plannedStop' } as const
const OEE_TIME = { RUNNING: 'apt', SETUP: 'aust', DOWN: 'adet', IDLE: 'adot', PLANNED_STOP: 'pdt' } as const

/**
 * Energy by state and by ISO 22400 time element as the energy API computes it from the meter
 * (api/queries/energy.ts): the kWh booked in each quarter hour shared by the milliseconds of each
 * state in it; a quarter that an edge of the window, a bucket or the plan cuts, minute by minute
 * (breaks and planned downtime being planned down time whatever the state). Worked out here from
 * the scenario.
 */
function stateShares(id: string, from: number, to: number, edges: readonly number[]): { byState: EnergyFigures['byState']; byOeeTime: OeeTimeKwh } {
  const byState: EnergyFigures['byState'] = { running: 0, idle: 0, down: 0, setup: 0, plannedStop: 0, offline: 0 }
  const byOeeTime: OeeTimeKwh = { apt: 0, aust: 0, adet: 0, adot: 0, pdt: 0, notPlanned: 0, offline: 0 }
  const cuts = [from, to, ...edges, ...plan.flatMap((p) => [p.start, p.end])]
  const share = (a: number, b: number): void => {
    const kwh = bookedKwh(id, a, b)
    const kind = plan.find((p) => p.start <= a && a < p.end)?.kind ?? null
    for (const seg of factory.scenario.segments(id, a, b)) {
      const part = (kwh * (Math.min(seg.end, b) - Math.max(seg.start, a))) / (b - a)
      byState[STATE_KEY[seg.state]] += part
      byOeeTime[kind === 'production' ? OEE_TIME[seg.state] : kind === 'break' || kind === 'planned_downtime' ? 'pdt' : 'notPlanned'] += part
    }
  }
  for (let q = Math.floor(from / 900_000) * 900_000; q < to; q += 900_000) {
    if (cuts.some((c) => c > q && c < q + 900_000)) {
      for (let m = Math.max(q, from); m < Math.min(q + 900_000, to); m += 60_000) share(m, m + 60_000)
    } else share(q, q + 900_000)
  }
  return { byState, byOeeTime }
}

/** Highest mean kW over the fixed quarter hours of [from, to): of the booked kWh, and of the load itself. */
function peakDemand(ids: readonly string[], from: number, to: number): { booked: { kw: number; start: number }; load: number } {
  let booked = { kw: -1, start: 0 }
  let load = 0
  for (let q = Math.floor(from / 900_000) * 900_000; q < to; q += 900_000) {
    const a = Math.max(q, from)
    const b = Math.min(q + 900_000, to)
    const kw = ids.reduce((sum, id) => sum + bookedKwh(id, a, b), 0) * 4
    if (kw > booked.kw) booked = { kw, start: q }
    load = Math.max(load, ids.reduce((sum, id) => sum + factory.scenario.kwhAt(id, b) - factory.scenario.kwhAt(id, a), 0) * 4)
  }
  return { booked, load }
}

async function getOee(query: Record<string, string>): Promise<OeeResponse> {
  const res = await api.inject('plant', { method: 'GET', url: '/api/v1/oee', query })
  expect(res.statusCode, res.body).toBe(200)
  return res.json<OeeResponse>()
}

describe('full simulated day', () => {
  it('full day runs through the pipeline without a lost connection, anomaly or malformed event', () => {
    console.info(`full day: ${(runMs / 1000).toFixed(1)} s real for ${((dayEnd - dayStart) / 3_600_000).toFixed(1)} h simulated; ${agent.stats.publish.sent} events`)
    expect(agent.stats.anomalies).toBe(0)
    for (const s of Object.values(agent.stats.sources)) expect(s.errors).toBe(0)
    expect(ingest.stats.malformed).toBe(0)
  })

  it.each(DAY_MACHINES)('full day stores every state change of %s at its simulated time', async (id) => {
    const rs = await store.client.query({
      query: `SELECT toUnixTimestamp64Milli(ts) AS t, state, reason FROM ${store.database}.machine_state FINAL
              WHERE machine = {m:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts <= fromUnixTimestamp64Milli({to:Int64}) ORDER BY ts, seq`,
      query_params: { m: factory.pathOf(id), from: dayStart, to: dayEnd },
      format: 'JSONEachRow',
    })
    const got = (await rs.json<{ t: string | number; state: string; reason: string | null }>()).map((r) => `${Number(r.t)} ${r.state} ${r.reason ?? ''}`)
    const want = factory.scenario.segments(id, dayStart, dayEnd + 1).filter((s) => s.start >= dayStart).map((s) => `${s.start} ${s.state} ${s.state === 'RUNNING' ? '' : (s.reason ?? '')}`)
    expect(got).toEqual(want)
  })

  it.each(DAY_MACHINES)('full day stores every unit and meter reading of %s', async (id) => {
    const rs = await store.client.query({
      query: `SELECT (SELECT sum(produced) FROM ${store.database}.production_count FINAL WHERE machine = {m:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64})) AS p,
                     (SELECT sum(rejected) FROM ${store.database}.production_count FINAL WHERE machine = {m:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64})) AS r,
                     (SELECT sum(kwh) FROM ${store.database}.energy_reading FINAL WHERE machine = {m:String} AND ts > fromUnixTimestamp64Milli({from:Int64}) AND ts <= fromUnixTimestamp64Milli({to:Int64})) AS kwh`,
      query_params: { m: factory.pathOf(id), from: dayStart, to: dayEnd },
      format: 'JSONEachRow',
    })
    const [row] = await rs.json<{ p: string | number; r: string | number; kwh: number }>()
    const truth = machineTruth(factory.scenario, id, dayStart, dayEnd)
    expect(Number(row?.p)).toBe(truth.produced + truth.outsideProduced)
    expect(Number(row?.r)).toBe(truth.rejected + truth.outsideRejected)
    // The readings taken in (dayStart, dayEnd] hold the day's energy: the meter reads at both ends.
    meterReadsOn([id], dayStart, dayEnd)
    near(Number(row?.kwh), truth.kwh, KWH, `${id} metered kWh`)
  })
})

describe('full simulated day through the API', () => {
  it.each(DAY_MACHINES)('full day gives %s every KPI of the ground truth, for the day and per shift', async (id) => {
    const got = await getOee({ machine: factory.pathOf(id), from: iso(dayStart), to: iso(dayEnd), bucket: 'shift' })
    expect(got.buckets.map((b) => b.key)).toEqual(shiftsOf(plan).map((sh) => `${sh.date}/${sh.name}`))
    for (const [label, from, to, key] of windows()) {
      const truth = factory.truth(id, from, to, { plan })
      const figures = key === null ? got : (got.buckets.find((b) => b.key === key) as KpiFigures)
      meterReadsOn([id], from, to)
      expectKpis(figures, truth, { production: truth.productionKwh, outside: truth.kwh - truth.productionKwh }, `${id} ${label}`)
    }
    // What the simulator put in the day, so that the comparisons above compare something.
    const day = factory.truth(id, dayStart, dayEnd, { plan })
    expect(day.failures).toBeGreaterThan(0)
    expect(day.microStops).toBeGreaterThan(0)
    expect(day.rejected).toBeGreaterThan(0)
    expect(day.ms.SETUP).toBeGreaterThan(0)
    expect(day.ms.IDLE).toBeGreaterThan(0)
  })

  it('full day judges the line by its end-of-line machine at the bottleneck\'s ideal cycle time, per shift and for the day', async () => {
    const got = await getOee({ line: factory.linePath, from: iso(dayStart), to: iso(dayEnd), bucket: 'shift' })
    expect(got.judgedBy).toEqual({ machine: factory.pathOf('aoi'), idealCycleS: Math.max(...SMT_DAY_LINE.map((m) => m.idealCycleS)) })
    expect(got.machines.map((m) => m.machine)).toEqual(DAY_MACHINES.map((id) => factory.pathOf(id)))
    for (const [label, from, to, key] of windows()) {
      const truth = factory.lineTruth(from, to, { plan })
      const each = DAY_MACHINES.map((id) => factory.truth(id, from, to, { plan }))
      const production = each.reduce((a, t) => a + t.productionKwh, 0)
      const outside = each.reduce((a, t) => a + t.kwh - t.productionKwh, 0)
      const figures = key === null ? got : (got.buckets.find((b) => b.key === key) as KpiFigures)
      expectKpis(figures, truth, { production, outside }, `line ${label}`)
    }
  })

  it.each(DAY_MACHINES)('full day ranks the downtime reasons of %s as the ground truth, for the day and per shift', async (id) => {
    for (const [label, from, to] of windows()) {
      const res = await api.inject('plant', { method: 'GET', url: '/api/v1/downtime', query: { machine: factory.pathOf(id), from: iso(from), to: iso(to) } })
      expect(res.statusCode, res.body).toBe(200)
      const got = res.json<DowntimeResponse>()
      const truth = factory.truth(id, from, to, { plan }).downtime
      // Milliseconds: state times are exact to the ms.
      const ms = (sec: number): number => Math.round(sec * 1000)
      const byReason = (rows: Array<{ reason: string | null; ms: number; failureMs: number; microStopMs: number; failures: number; microStops: number }>) =>
        rows.sort((x, y) => String(x.reason).localeCompare(String(y.reason)))
      expect(
        byReason(got.reasons.map((r) => ({ reason: r.reason, ms: ms(r.seconds), failureMs: ms(r.failureSeconds), microStopMs: ms(r.microStopSeconds), failures: r.failures, microStops: r.microStops }))),
        `${id} ${label}`,
      ).toEqual(byReason(truth.map((r) => ({ ...r }))))
      // Ranked by seconds, most first.
      const secs = got.reasons.map((r) => r.seconds)
      expect(secs).toEqual([...secs].sort((x, y) => y - x))
    }
  })
})

describe('full simulated day through the energy API', () => {
  const get = async (query: Record<string, string>): Promise<EnergyResponse> => {
    const res = await api.inject('plant', { method: 'GET', url: '/api/v1/energy', query })
    expect(res.statusCode, res.body).toBe(200)
    return res.json<EnergyResponse>()
  }

  /** kWh, units, SEC, kWh by state and by time element, peak demand and load factor of a set of figures. */
  function expectEnergy(got: EnergyFigures, ids: readonly string[], unitTruth: MachineTruth, from: number, to: number, what: string): void {
    const truths = ids.map((id) => factory.truth(id, from, to, { plan }))
    const kwh = truths.reduce((a, t) => a + t.kwh, 0)
    meterReadsOn(ids, from, to)
    near(got.kwh, kwh, KWH, `${what} kWh`)
    const produced = unitTruth.produced + unitTruth.outsideProduced
    const rejected = unitTruth.rejected + unitTruth.outsideRejected
    expect(got.units, `${what} units`).toEqual({ produced, good: produced - rejected, rejected })
    near(got.sec.kwhPerGoodUnit, kwh / (produced - rejected), KWH / (produced - rejected), `${what} kWh per good unit`)
    near(got.sec.kwhPerUnit, kwh / produced, KWH / produced, `${what} kWh per unit`)
    // By state and time element: exactly the shares of the booked kWh; those are within a stated
    // distance of the load's own split (checked in 'the shares of energy by state').
    const shares = ids.map((id) => stateShares(id, from, to, shiftsOf(plan).flatMap((sh) => [sh.start, sh.end])))
    for (const k of Object.keys(got.byState) as Array<keyof EnergyFigures['byState']>) near(got.byState[k], shares.reduce((a, x) => a + x.byState[k], 0), 1e-6, `${what} kWh while ${k}`)
    for (const k of Object.keys(got.byOeeTime) as Array<keyof OeeTimeKwh>) near(got.byOeeTime[k], shares.reduce((a, x) => a + x.byOeeTime[k], 0), 1e-6, `${what} kWh in ${k}`)
    near(got.idleEnergy.kwh, got.kwh - got.byState.running, 1e-6, `${what} idle energy`)
    const peak = peakDemand(ids, from, to)
    expect(got.peakDemand, `${what} peak demand`).not.toBeNull()
    near(got.peakDemand?.kw, peak.booked.kw, 1e-6, `${what} peak demand of the booked kWh`)
    expect(got.peakDemand?.start, `${what} peak quarter`).toBe(iso(peak.booked.start))
    near(got.peakDemand?.kw, peak.load, 4 * KWH, `${what} peak demand of the load`)
    near(got.loadFactor, got.kwh / ((got.peakDemand?.kw ?? 0) * ((to - from) / 3_600_000)), RATIO, `${what} load factor`)
  }

  it.each(DAY_MACHINES)('full day gives %s the kWh, SEC, energy by state and peak demand of the ground truth, for the day and per shift', async (id) => {
    const got = await get({ machine: factory.pathOf(id), from: iso(dayStart), to: iso(dayEnd), bucket: 'shift' })
    expect(got.buckets.map((b) => b.key)).toEqual(shiftsOf(plan).map((sh) => `${sh.date}/${sh.name}`))
    for (const [label, from, to, key] of windows()) {
      const figures = key === null ? got : (got.buckets.find((b) => b.key === key) as EnergyFigures)
      expectEnergy(figures, [id], factory.truth(id, from, to, { plan }), from, to, `${id} ${label}`)
    }
  })

  it('full day gives the line the kWh of all its machines per good unit of its end-of-line machine, for the day and per shift', async () => {
    const got = await get({ line: factory.linePath, from: iso(dayStart), to: iso(dayEnd), bucket: 'shift' })
    expect(got.scope.unitMachines).toEqual([factory.pathOf('aoi')])
    for (const [label, from, to, key] of windows()) {
      const figures = key === null ? got : (got.buckets.find((b) => b.key === key) as EnergyFigures)
      expectEnergy(figures, DAY_MACHINES, factory.lineTruth(from, to, { plan }), from, to, `line ${label}`)
    }
  })

  it('full day: the quarter-hour shares of energy by state stay within the error of sharing by time instead of by power', () => {
    // Energy by state is a quarter hour's booked kWh shared by the time of each state in it. In a
    // quarter where the load changes, state s gets t_s × (mean kW of the quarter) instead of its
    // own t_s × kW_s: off by at most t_s × (highest − lowest kW of the quarter). (The meter reads
    // on the quarter's edges: it books nothing across them.)
    const report: string[] = []
    for (const id of DAY_MACHINES) {
      const t = factory.truth(id, dayStart, dayEnd, { plan })
      const shares = stateShares(id, dayStart, dayEnd, [])
      const bound: Record<SimState, number> = { RUNNING: 0, IDLE: 0, DOWN: 0, SETUP: 0, PLANNED_STOP: 0 }
      for (let q = dayStart; q < dayEnd; q += 900_000) {
        const segs = factory.scenario.segments(id, q, q + 900_000)
        const spread = Math.max(...segs.map((x) => x.kw)) - Math.min(...segs.map((x) => x.kw))
        for (const x of segs) {
          const ms = Math.min(x.end, q + 900_000) - Math.max(x.start, q)
          bound[x.state] += (ms * spread) / 3_600_000
        }
      }
      const parts: string[] = []
      for (const state of Object.keys(STATE_KEY) as SimState[]) {
        const off = Math.abs(shares.byState[STATE_KEY[state]] - t.kwhByState[state])
        expect(off, `${id} kWh while ${state}: shares vs the load`).toBeLessThanOrEqual(bound[state] + 1e-9)
        parts.push(`${STATE_KEY[state]} ${off.toFixed(2)}/${bound[state].toFixed(2)}`)
      }
      report.push(`${id} (${t.kwh.toFixed(1)} kWh): ${parts.join(', ')}`)
    }
    console.info(`full day: energy by state, kWh off the load's own split / bound: ${report.join('; ')}`)
  })
})
