// The region's dozen factories through the whole pipeline, checked against the simulators'
// ground truth in the analysts' tables: twelve simulated factories (three parks, three sectors;
// each a real OPC UA server with its line's PLC values and meters, on one accelerated clock) ->
// twelve edge agents -> the Kafka broker -> ingest -> chDB -> the API's analyst route. Every
// published cell must equal the totals computed from the simulators' own timelines; every
// suppressed cell must be marked and carry no values; the cells the disclosure rules must hide
// (fewer than three factories, one or two factories dominating) must be hidden.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import {
  REGION_FACTORIES,
  RegionSim,
  SECTOR_LINES,
  regionFactory,
  acceleratedClock,
  createLogger,
  silentLogger,
  type AcceleratedClock,
  type FactoryPeriodTruth,
  type SimPlanSegment,
} from '../../connectors/index.ts'
import { EdgeAgent, parseEdgeConfig } from '../../edge/index.ts'
import { EventCodec, Ingest, migrate, openClickhouse, type Clickhouse, type KafkaSubscriber } from '../../stream/index.ts'
import { openTransport } from '../../edge/cli/pipeline.ts'
import { fromWall, localDate, planSegments } from '../../api/calendar/index.ts'
import { factoriesOf, factoryOf, type Factory, type Reference } from '../../api/reference/index.ts'
import type { PublishedCell } from '../../api/analyst/index.ts'
import { factoryContributions } from '../../api/analyst/contributions.ts'
import { testApi, testReference, type TestApi } from '../support/api.ts'
import { kafkaBrokers, uniqueTopic } from '../support/kafka.ts'
import { waitFor } from '../support/wait.ts'

/** The simulated hours, local time: a meal break of the three-shift plants, the lunch of the two-shift ones, a shift change at 14:00. */
const WINDOW = { from: '09:30', to: '14:30' }
/** Simulated ms per real ms: the five hours pass in 20 s. */
const SPEED = Number(process.env.SHOPFLOOR_REGION_SPEED ?? 900)
/** Real time from the agents' first readings to the window's start. */
const LEAD_REAL_MS = 1000
/** Real time after the window's end for its last values to be published. */
const TAIL_REAL_MS = 2000
const METER_INTERVAL_MS = 60_000
const DAY_MS = 86_400_000

let dir: string
let reference: Reference
let region: RegionSim
let clock: AcceleratedClock
let store: Clickhouse
let agents: EdgeAgent[] = []
let ingest: Ingest
let closeTransport: () => Promise<void> = async () => {}
let api: TestApi
let windowStart: number
let windowEnd: number
/** The simulated day: the latest day before today on which every factory works the window. */
let date: string
/** When the agents stopped (their machines OFFLINE from then on): between these two instants. */
const stopped = { from: 0, to: 0 }
const timings: Record<string, number> = {}
let year: number
let apiNow: number

const site = (path: string): Factory => factoryOf(reference, path)

/** The factory's shift plan over [from, to) as the API's calendar lays it out. */
const planOf = (path: string, from: number, to: number): SimPlanSegment[] => planSegments(site(path).calendar, site(path).timezone, from, to)

beforeAll(async () => {
  const began = performance.now()
  dir = mkdtempSync(join(tmpdir(), 'shopfloor-region-'))
  reference = testReference()
  const tz = site(REGION_FACTORIES[0]?.path as string).timezone
  for (const f of REGION_FACTORIES) expect(site(f.path).timezone, `${f.path} timezone`).toBe(tz)
  // A recent day, not a fixed one: after the agents stop, every machine is OFFLINE from then on,
  // and the rollups spread the PLANNED_STOP before it over every minute since the day.
  for (let back = 1; ; back++) {
    date = localDate(tz, Date.now() - back * DAY_MS)
    windowStart = fromWall(tz, Date.parse(`${date}T${WINDOW.from}:00Z`))
    windowEnd = fromWall(tz, Date.parse(`${date}T${WINDOW.to}:00Z`))
    if (REGION_FACTORIES.every((f) => planOf(f.path, windowStart, windowEnd).some((p) => p.kind === 'production' && p.start === windowStart))) break
    if (back > 14) throw new Error('no day of the last two weeks on which every factory works the window')
  }
  const plans = new Map(REGION_FACTORIES.map((f) => [f.path, planOf(f.path, windowStart, windowEnd)]))

  store = await openClickhouse({ path: join(dir, 'chdb'), database: 'region' })
  await migrate(store)
  const codec = new EventCodec()
  const prefix = uniqueTopic('region')
  const { publisher, subscriber, close } = await openTransport({ brokers: kafkaBrokers(), topicPrefix: prefix, groupId: `${prefix}-ingest`, logger: silentLogger })
  closeTransport = close
  ingest = new Ingest({ clickhouse: store, codec, logger: createLogger({ level: 'warn', name: 'region-ingest' }) })

  // One clock for the region, still until every agent has read its PLCs (a counter's first
  // reading is its baseline); the world ends with the window.
  clock = acceleratedClock({ startMs: windowStart - LEAD_REAL_MS * SPEED, speed: SPEED, paused: true })
  region = await RegionSim.start({ factories: REGION_FACTORIES, plans, clock, endMs: windowEnd, meterIntervalMs: METER_INTERVAL_MS })
  agents = region.factories.map(
    (f) =>
      new EdgeAgent({
        config: parseEdgeConfig(
          stringify(region.edgeConfig(f.spec.path, { stateDir: join(dir, 'agents', f.spec.path.replaceAll('/', '_')), samplingIntervalMs: 0, publishingIntervalMs: 100, queueSize: 1000 })),
          `${f.spec.path}.yaml`,
        ),
        publisher,
        topicPrefix: prefix,
        codec,
      }),
  )
  timings.setupS = (performance.now() - began) / 1000
  const run = performance.now()
  await Promise.all(agents.map((a) => a.start()))
  await waitFor('every agent to read its PLCs', () => agents.every((a, i) => a.stats.events.machine_state >= (region.factories[i]?.spec.machines.length ?? 0)), 60_000)
  clock.run()
  await new Promise((r) => setTimeout(r, Math.max(0, (windowEnd - clock.now()) / SPEED + TAIL_REAL_MS)))
  stopped.from = Date.now()
  await Promise.all(agents.map((a) => a.stop()))
  stopped.to = Date.now()
  const sent = agents.reduce((a, x) => a + x.stats.publish.sent, 0)
  timings.publishS = (performance.now() - run) / 1000
  // Ingest reads the topics once the agents are done: on two cores, chDB's inserts and twelve
  // agents at this speed would otherwise starve the consumer's group heartbeats.
  const ingestBegan = performance.now()
  await subscriber.run(ingest.handle)
  await waitFor(`ingest to store ${sent} events`, () => ingest.stats.messages >= sent, 120_000).catch((e: Error) => {
    throw new Error(`${e.message}; ingest ${JSON.stringify(ingest.stats)}; subscriber ${JSON.stringify((subscriber as KafkaSubscriber).stats)}`)
  })
  timings.runS = (performance.now() - run) / 1000
  timings.ingestS = (performance.now() - ingestBegan) / 1000
  timings.events = sent
  // The API's clock: the simulated day's year has closed and been released, so every month,
  // quarter and the year itself are published.
  year = Number(date.slice(0, 4))
  apiNow = Date.UTC(year + 1, 0, 1) + (reference.disclosure.releaseDelayDays + 1) * DAY_MS
  api = await testApi({ clickhouse: store, reference, logger: createLogger({ level: 'error', name: 'region-api' }), now: () => apiNow })
}, 300_000)

afterAll(async () => {
  await api?.close().catch(() => {})
  await closeTransport().catch(() => {})
  await store?.close().catch(() => {})
  await region?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('region simulation', () => {
  it('region: the simulated factories are the seed\'s dozen, four per park and four per sector', () => {
    const seeded = factoriesOf(reference).filter((f) => f.sector !== null)
    expect(REGION_FACTORIES.map((f) => f.path).sort()).toEqual(seeded.map((f) => f.path).sort())
    const count = (key: (f: Factory) => string): Record<string, number> => {
      const out: Record<string, number> = {}
      for (const f of seeded) out[key(f)] = (out[key(f)] ?? 0) + 1
      return out
    }
    expect(count((f) => f.park)).toEqual({ 'vsip-1': 4, 'my-phuoc-3': 4, 'song-than-2': 4 })
    expect(count((f) => (f.sector as NonNullable<Factory['sector']>).division)).toEqual({ '26': 4, '14': 4, '31': 4 })
  })

  it.each([
    ['hcmc/vsip-1', {}, 'path must be region/park/factory'],
    ['hcmc//x', {}, 'path must be region/park/factory'],
    ['hcmc/vsip-1/x', { size: 0 }, 'profile.size must be a positive number, got 0'],
    ['hcmc/vsip-1/x', { power: -1 }, 'profile.power must be a positive number, got -1'],
    ['hcmc/vsip-1/x', { failures: Number.NaN }, 'profile.failures must be a positive number, got NaN'],
  ] as const)('region: regionFactory(%s, %o) is refused: %s', (path, profile, message) => {
    expect(() => regionFactory(path, 'garment', profile)).toThrow(message)
  })

  it('region: a profile scales output and load, weighs failures and idle time, and drops the first machine of a two-machine line', () => {
    const base = regionFactory('hcmc/vsip-1/x', 'furniture')
    const f = regionFactory('hcmc/vsip-1/x', 'furniture', { size: 2, power: 3, machines: 2, failures: 2, idle: 0.5, rejects: 2 })
    expect(base.machines.map((m) => m.id)).toEqual(SECTOR_LINES.furniture.map((m) => m.id))
    expect(f.machines.map((m) => m.id)).toEqual(SECTOR_LINES.furniture.slice(1).map((m) => m.id))
    expect(f.seed).toBe(base.seed)
    expect(regionFactory('hcmc/vsip-1/y', 'furniture').seed).not.toBe(base.seed)
    for (const [i, m] of f.machines.entries()) {
      const b = base.machines[i + 1] as (typeof base.machines)[number]
      expect(m.idealCycleS).toBeCloseTo(b.idealCycleS / 2, 9)
      expect(m.kw.RUNNING).toBeCloseTo(b.kw.RUNNING * 3, 9)
      expect(m.rejectRate).toBeCloseTo(b.rejectRate * 2, 9)
      for (const [k, stop] of (m.day?.stops ?? []).entries()) {
        const was = b.day?.stops[k] as NonNullable<(typeof b)['day']>['stops'][number]
        const factor = stop.state === 'DOWN' && stop.durS[0] >= 120 ? 2 : stop.state === 'IDLE' ? 0.5 : 1
        expect(stop.weight, `${m.id} ${stop.state} ${stop.durS.join('-')} s`).toBeCloseTo(was.weight * factor, 9)
      }
    }
  })

  it('region runs through the pipeline without a lost connection, anomaly or malformed event', () => {
    console.info(
      `region: ${REGION_FACTORIES.length} factories, ${REGION_FACTORIES.reduce((a, f) => a + f.machines.length, 0)} machines, ${((windowEnd - windowStart) / 3_600_000).toFixed(1)} h simulated at ${SPEED}x; setup ${timings.setupS?.toFixed(1)} s, agents ${timings.publishS?.toFixed(1)} s, ingest ${timings.ingestS?.toFixed(1)} s; ${timings.events} events`,
    )
    for (const a of agents) {
      expect(a.stats.anomalies).toBe(0)
      for (const s of Object.values(a.stats.sources)) expect(s.errors).toBe(0)
    }
    expect(ingest.stats.malformed).toBe(0)
  })

  it('region stores every unit and meter reading of every machine', async () => {
    const rs = await store.client.query({
      query: `SELECT machine, sum(produced) AS p, sum(rejected) AS r, 0 AS kwh FROM ${store.database}.production_count FINAL GROUP BY machine
              UNION ALL SELECT machine, 0, 0, sum(kwh) FROM ${store.database}.energy_reading FINAL GROUP BY machine`,
      format: 'JSONEachRow',
    })
    const got = new Map<string, { p: number; r: number; kwh: number }>()
    for (const row of await rs.json<{ machine: string; p: string | number; r: string | number; kwh: number }>()) {
      const g = got.get(row.machine) ?? { p: 0, r: 0, kwh: 0 }
      got.set(row.machine, { p: g.p + Number(row.p), r: g.r + Number(row.r), kwh: g.kwh + Number(row.kwh) })
    }
    for (const f of region.factories) {
      for (const m of f.spec.machines) {
        const path = region.pathOf(f.spec.path, m.id)
        const t = f.sim.truth(m.id, region.world.observedFrom, region.world.endMs + 1)
        const g = got.get(path)
        expect(g?.p, `${path} produced`).toBe(t.produced)
        expect(g?.r, `${path} rejected`).toBe(t.rejected)
        expect(Math.abs((g?.kwh ?? NaN) - f.sim.scenario.kwhAt(m.id, region.world.endMs)), `${path} kWh`).toBeLessThanOrEqual(1e-6)
      }
    }
  })
})

// Tolerances. Seconds are sums of whole milliseconds / 1000: 1 µs. Units are exact. Ideal seconds
// are units × a cycle time of tenths of a second in floating point: relative 1e-9. Energy: each
// meter reading holds the kWh since the one before and is booked at its own time, and the truth
// books the same readings (FactorySim.meteredKwh; the simulated world stops at the window's end,
// so no reading is cut by a month's edge): only floating-point noise, 1e-6 kWh. Ratios: 1e-9,
// those with kWh the kWh tolerance over their denominator. Completeness depends on when the
// agents stopped (their machines OFFLINE from then), known to lie in [stopped.from, stopped.to].
const SECONDS = 1e-6
const KWH = 1e-6
const RATIO = 1e-9

interface TruthRow extends Omit<FactoryPeriodTruth, 'line' | 'reported'> {
  readonly month: string
  readonly park: string
  readonly sector: string
  /** reportedS had the agents stopped at the latest moment they can have. */
  readonly reportedHiS: number
}

const PERIOD_KINDS = ['month', 'quarter', 'year'] as const
const SHAPES = ['region-park', 'region-sector', 'park-sector'] as const
const SUMS = ['plannedBusyS', 'actualProductionS', 'idealProducedS', 'idealGoodS', 'produced', 'good', 'kwh', 'co2Kg'] as const

const monthKey = (m: number): string => `${year}-${String(m).padStart(2, '0')}`

/** Each factory's monthly sums of the year, from its simulator's timeline: months it reported in only. */
function truthRows(): TruthRow[] {
  const rows: TruthRow[] = []
  for (const f of region.factories) {
    const s = site(f.spec.path)
    for (let m = 1; m <= 12; m++) {
      const from = fromWall(s.timezone, Date.UTC(year, m - 1, 1))
      const to = fromWall(s.timezone, Date.UTC(year, m, 1))
      const plan = planOf(f.spec.path, from, to)
      const lo = region.truth(f.spec.path, from, to, { plan, now: apiNow, offlineFrom: stopped.from })
      const hi = region.truth(f.spec.path, from, to, { plan, now: apiNow, offlineFrom: stopped.to })
      if (!lo.reported) continue
      const { line: _line, reported: _reported, ...sums } = lo
      rows.push({ ...sums, month: monthKey(m), park: s.park, sector: (s.sector as NonNullable<Factory['sector']>).division, reportedHiS: hi.reportedS })
    }
  }
  return rows
}

/** The CO2 factor the seed gives the year: its own, else the latest earlier year's (kg per kWh). */
function co2Factor(): number {
  const f = reference.energy.emissionFactors.filter((e) => e.year <= year).at(-1)
  if (!f) throw new Error(`the seed has no emission factor for ${year} or earlier`)
  return f.tCo2PerMwh
}

const monthsOf = (period: string, kind: (typeof PERIOD_KINDS)[number]): string[] => {
  if (kind === 'month') return [period]
  if (kind === 'year') return Array.from({ length: 12 }, (_, i) => monthKey(i + 1))
  const q = Number(period.slice(6))
  return [1, 2, 3].map((i) => monthKey((q - 1) * 3 + i))
}

/** The truth rows a cell adds up. */
const membersOf = (rows: readonly TruthRow[], c: PublishedCell): TruthRow[] => {
  const months = new Set(monthsOf(c.period, c.periodKind))
  return rows.filter((r) => months.has(r.month) && (c.region === null || r.factory.startsWith(`${c.region}/`)) && (c.park === null || r.park === c.park) && (c.sector === null || r.sector === c.sector))
}

/** Per factory, the sum of a magnitude over the rows. */
function byFactory(rows: readonly TruthRow[], key: 'plannedBusyS' | 'good' | 'kwh' | (typeof SUMS)[number]): number[] {
  const m = new Map<string, number>()
  for (const r of rows) m.set(r.factory, (m.get(r.factory) ?? 0) + (key === 'co2Kg' ? r.kwh * co2Factor() : r[key]))
  return [...m.values()]
}

/**
 * Whether the disclosure rules (the seed's configuration) make a cell sensitive, worked out here
 * from the truth: fewer than minFirms factories, or for a protected magnitude with a non-zero total
 * fewer than minFirms non-zero factories or n factories holding more than k %. With the margin by
 * which the nearest rule holds or fails, relative to the total.
 */
function sensitivity(rows: readonly TruthRow[]): { sensitive: boolean; rules: string[]; margin: number } {
  const cfg = reference.disclosure.config
  const firms = new Set(rows.map((r) => r.factory)).size
  const rules: string[] = []
  let margin = Infinity
  if (firms < cfg.minFirms) rules.push(`${firms} factories`)
  for (const mag of cfg.magnitudes) {
    const xs = byFactory(rows, mag as (typeof SUMS)[number]).sort((a, b) => b - a)
    const total = xs.reduce((a, x) => a + x, 0)
    if (total === 0) continue
    if (xs.filter((x) => x > 0).length < cfg.minFirms) rules.push(`${mag}: ${xs.filter((x) => x > 0).length} non-zero`)
    for (const { n, k } of cfg.dominance) {
      const top = xs.slice(0, n).reduce((a, x) => a + x, 0)
      margin = Math.min(margin, Math.abs(top / total - k / 100))
      if (top > (k / 100) * total) rules.push(`${mag}: (${n},${k}) ${((100 * top) / total).toFixed(1)} %`)
    }
  }
  return { sensitive: rules.length > 0, rules, margin }
}

function near(got: number | null | undefined, want: number | null, tolerance: number, what: string): void {
  if (want === null) {
    expect(got ?? null, what).toBeNull()
    return
  }
  expect(got, what).not.toBeNull()
  expect(Math.abs((got as number) - want), `${what}: API ${got} vs truth ${want} (tolerance ${tolerance})`).toBeLessThanOrEqual(tolerance)
}

/** A published cell's values against the sums of its factories' truth. */
function expectValues(c: PublishedCell, rows: readonly TruthRow[], what: string): void {
  const v = c.values as NonNullable<PublishedCell['values']>
  const sum = (k: (typeof SUMS)[number]): number => byFactory(rows, k).reduce((a, x) => a + x, 0)
  const t = Object.fromEntries(SUMS.map((k) => [k, sum(k)])) as Record<(typeof SUMS)[number], number>
  near(v.plannedBusyS, t.plannedBusyS, SECONDS, `${what} plannedBusyS`)
  near(v.actualProductionS, t.actualProductionS, SECONDS, `${what} actualProductionS`)
  near(v.idealProducedS, t.idealProducedS, RATIO * Math.max(1, t.idealProducedS), `${what} idealProducedS`)
  near(v.idealGoodS, t.idealGoodS, RATIO * Math.max(1, t.idealGoodS), `${what} idealGoodS`)
  expect(v.produced, `${what} produced`).toBe(t.produced)
  expect(v.good, `${what} good`).toBe(t.good)
  near(v.kwh, t.kwh, KWH, `${what} kWh`)
  near(v.co2Kg, t.co2Kg, KWH * co2Factor(), `${what} kg CO2`)
  const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)
  near(v.availability, ratio(t.actualProductionS, t.plannedBusyS), RATIO, `${what} availability`)
  near(v.performance, ratio(t.idealProducedS, t.actualProductionS), RATIO, `${what} performance`)
  near(v.quality, ratio(t.idealGoodS, t.idealProducedS), RATIO, `${what} quality`)
  near(v.oee, ratio(t.idealGoodS, t.plannedBusyS), RATIO, `${what} OEE`)
  near(v.kwhPerGoodUnit, ratio(t.kwh, t.good), KWH / Math.max(1, t.good), `${what} kWh per good unit`)
  near(v.co2KgPerGoodUnit, ratio(t.co2Kg, t.good), (KWH * co2Factor()) / Math.max(1, t.good), `${what} kg CO2 per good unit`)
  const expected = rows.reduce((a, r) => a + r.expectedS, 0)
  const lo = rows.reduce((a, r) => a + r.reportedS, 0)
  const hi = rows.reduce((a, r) => a + r.reportedHiS, 0)
  if (expected === 0) expect(v.completeness, `${what} completeness`).toBeNull()
  else {
    expect(v.completeness, `${what} completeness`).not.toBeNull()
    expect(v.completeness as number, `${what} completeness ≥ reported (agents stopped first) / expected`).toBeGreaterThanOrEqual(lo / expected - RATIO)
    expect(v.completeness as number, `${what} completeness ≤ reported (agents stopped last) / expected`).toBeLessThanOrEqual(hi / expected + RATIO)
  }
}

interface TablesBody {
  readonly cells: PublishedCell[]
}

async function getTables(shape: string, period: string): Promise<PublishedCell[]> {
  const res = await api.inject('analyst', { method: 'GET', url: '/api/v1/analyst/tables', query: { shape, period, from: monthKey(1), to: monthKey(12), format: 'json' } })
  expect(res.statusCode, res.body).toBe(200)
  return res.json<TablesBody>().cells
}

const label = (c: PublishedCell): string => `${c.period} ${c.region ?? '*'}/${c.park ?? '*'}/${c.sector ?? '*'}`

describe('region simulation through the analysts\' tables', () => {
  it('region: the sizes make the cells the construction says sensitive, and leave the others alone', () => {
    const rows = truthRows().filter((r) => r.month === date.slice(0, 7))
    const cell = (park: string | null, sector: string | null): TruthRow[] => rows.filter((r) => (park === null || r.park === park) && (sector === null || r.sector === sector))
    const report: string[] = []
    for (const park of ['vsip-1', 'my-phuoc-3', 'song-than-2']) {
      for (const sector of ['26', '14', '31']) {
        const n = new Set(cell(park, sector).map((r) => r.factory)).size
        expect(n, `${park} × ${sector}: one or two factories`).toBeGreaterThanOrEqual(1)
        expect(n, `${park} × ${sector}: one or two factories`).toBeLessThanOrEqual(2)
      }
    }
    const claims: Array<[string, string | null, string | null, boolean]> = [
      ['My Phuoc 3: its wood factory uses over half the energy', 'my-phuoc-3', null, true],
      ['VSIP I: four of a size', 'vsip-1', null, false],
      ['furniture: one factory dominates', null, '31', true],
      ['Song Than 2: four of a size', 'song-than-2', null, false],
      ['garments: four of a size', null, '14', false],
      ['circuit boards: four of a size', null, '26', false],
      ['the region', null, null, false],
    ]
    for (const [what, park, sector, sensitive] of claims) {
      const s = sensitivity(cell(park, sector))
      report.push(`${what}: ${s.rules.join(', ') || 'none'} (nearest rule ${(100 * s.margin).toFixed(1)} points away)`)
      expect(s.sensitive, `${what}: ${s.rules.join(', ')}`).toBe(sensitive)
      // Far from every threshold: the pipeline's kWh noise cannot tip a rule.
      expect(s.margin, `${what}: margin to the nearest dominance threshold`).toBeGreaterThan(0.005)
    }
    console.info(`region: ${report.join('; ')}`)
  })

  it('region: the dominated park, the dominated sector and every park × sector cell (one or two factories) are hidden in every period', async () => {
    const cells = await Promise.all(PERIOD_KINDS.map((period) => getTables('park-sector', period)))
    const month = date.slice(0, 7)
    const quarter = `${year}-Q${Math.floor((Number(month.slice(5)) - 1) / 3) + 1}`
    let checked = 0
    for (const c of cells.flat().filter((x) => [month, quarter, String(year)].includes(x.period))) {
      const inner = c.park !== null && c.sector !== null && c.factories > 0
      if (inner || (c.park === 'my-phuoc-3' && c.sector === null) || (c.park === null && c.sector === '31')) {
        checked++
        expect(c.suppressed, `${label(c)} hidden`).toBe('primary')
        expect(c.values, `${label(c)} carries no values`).toBeNull()
        expect(c.factories, `${label(c)} still counts its factories`).toBeGreaterThan(0)
      }
    }
    // Nine park × sector cells, the park and the sector, in the month, its quarter and the year.
    expect(checked).toBe(3 * 11)
  })

  it('region: each factory\'s monthly sums from ClickHouse (factoryContributions) equal its truth', async () => {
    const got = await factoryContributions(store, reference, { from: monthKey(1), to: monthKey(12), now: apiNow })
    const rows = truthRows()
    const key = (r: { factory: string; month: string }): string => `${r.factory} ${r.month}`
    expect(got.map(key).sort()).toEqual(rows.map(key).sort())
    for (const r of rows) {
      const g = got.find((c) => key(c) === key(r))
      const what = key(r)
      expect(g?.park, `${what} park`).toBe(r.park)
      expect(g?.sector, `${what} sector`).toBe(r.sector)
      near(g?.plannedBusyS, r.plannedBusyS, SECONDS, `${what} plannedBusyS`)
      near(g?.actualProductionS, r.actualProductionS, SECONDS, `${what} actualProductionS`)
      near(g?.idealProducedS, r.idealProducedS, RATIO * Math.max(1, r.idealProducedS), `${what} idealProducedS`)
      near(g?.idealGoodS, r.idealGoodS, RATIO * Math.max(1, r.idealGoodS), `${what} idealGoodS`)
      expect(g?.produced, `${what} produced`).toBe(r.produced)
      expect(g?.good, `${what} good`).toBe(r.good)
      near(g?.kwh, r.kwh, KWH, `${what} kWh`)
      near(g?.co2Kg, r.kwh * co2Factor(), KWH * co2Factor(), `${what} kg CO2`)
      near(g?.expectedS, r.expectedS, SECONDS, `${what} expectedS`)
      expect(g?.reportedS as number, `${what} reportedS`).toBeGreaterThanOrEqual(r.reportedS - SECONDS)
      expect(g?.reportedS as number, `${what} reportedS`).toBeLessThanOrEqual(r.reportedHiS + SECONDS)
    }
  })

  it.each(SHAPES.flatMap((shape) => PERIOD_KINDS.map((period) => [shape, period] as const)))(
    'region %s tables by %s: published cells equal the truth, suppressed cells are marked and empty, sensitive cells are hidden',
    async (shape, period) => {
      const rows = truthRows()
      const cells = await getTables(shape, period)
      expect(cells.length).toBeGreaterThan(0)
      let published = 0
      let hidden = 0
      for (const c of cells) {
        expect(c.periodKind, label(c)).toBe(period)
        const members = membersOf(rows, c)
        const what = `${shape} ${label(c)}`
        expect(c.factories, `${what} reporting factories`).toBe(new Set(members.map((r) => r.factory)).size)
        if (c.factories === 0) {
          expect(c.values, `${what} empty`).toBeNull()
          expect(c.suppressed, `${what} empty`).toBeNull()
          continue
        }
        const s = sensitivity(members)
        if (s.sensitive) expect(c.suppressed, `${what} is sensitive (${s.rules.join(', ')})`).toBe('primary')
        else expect(c.suppressed, `${what} is not sensitive`).not.toBe('primary')
        if (c.suppressed !== null) {
          expect(c.values, `${what} suppressed (${c.suppressed})`).toBeNull()
          hidden++
        } else {
          expect(c.values, `${what} published`).not.toBeNull()
          expectValues(c, members, what)
          published++
        }
      }
      console.info(`region ${shape} by ${period}: ${published} non-empty cells published, ${hidden} suppressed`)
      // Something is compared: the region's total at least is published.
      expect(published).toBeGreaterThan(0)
    },
  )
})
