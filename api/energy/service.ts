/**
 * Energy KPIs of a machine, line, area or factory over a window, per bucket: the reference data
 * (the factory's timezone, calendar, voltage level; tariffs, time-of-use windows, emission
 * factors) + the layout of the window + sums from the rollups -> figures. Impossible meter
 * readings are checked one by one and left out, never summed.
 */
import { MACHINE_STATES, type Clickhouse, type MachineStateCode } from '../../stream/index.ts'
import type { BucketSize } from '../calendar/index.ts'
import { ApiError } from '../errors.ts'
import { calendarIsDefault, machinesIn, MAX_BUCKETS, type OeeScopeInfo } from '../kpi-service.ts'
import type { Scope } from '../kpi/params.ts'
import { lineJudge } from '../kpi/rollup.ts'
import { emptySums, energyTotals, type EnergySums, type EnergyTotals, type LatestState, type QuarterPeak, type SuspectInterval } from '../queries/energy.ts'
import { intervalStates, METER_LOOKBACK_MS, suspectReadings } from '../queries/energy-readings.ts'
import type { MachineRow } from '../queries/registry.ts'
import { latestStates } from '../queries/slices.ts'
import { factoryOf, type Reference } from '../reference/index.ts'
import type { SlotClass } from './cost.ts'
import { energyFigures, type EnergyFigures } from './figures.ts'
import { energyLayout, type EnergyLayout, type EnergySlice } from './layout.ts'
import { intervalKw, peakDemand, type Peak } from './demand.ts'
import { enpiBaseline, enpiOf, type EnpiBaseline } from './enpi.ts'
import { checkMeterDeltas } from './meter.ts'
import { localSlot } from './tou.ts'
import { addByState, addOeeTime, noStateKwh } from './states.ts'

/** Default highest plausible mean power of one machine, kW: a reading implying more is left out (maxKw). */
export const DEFAULT_MAX_KW = 2000

const QUARTER_MS = 900_000

export interface EnergyDeps {
  readonly clickhouse: Clickhouse
  readonly reference: Reference
  /** The clock, epoch ms. */
  readonly now: () => number
}

export interface EnergyQuery {
  readonly scope: Scope
  /** Window, epoch ms on whole minutes. */
  readonly from: number
  readonly to: number
  /** Default none: the window as a whole only. */
  readonly bucket?: BucketSize | 'none'
  /** Highest plausible mean power of one machine, kW. Default {@link DEFAULT_MAX_KW}. */
  readonly maxKw?: number
  /** Baseline period of the EnPI (epoch ms on whole minutes): SEC against it. Default: none (enpi null). */
  readonly baseline?: { readonly from: number; readonly to: number }
}

export interface EnergyBucket extends EnergyFigures {
  readonly key: string
  readonly start: string
  readonly end: string
}

export interface MachineEnergy extends EnergyFigures {
  readonly machine: string
  readonly name: string
  readonly line: string
}

interface Cited {
  readonly source: string
  readonly check: string | null
}

/** The answer of `GET /api/v1/energy`. */
export interface EnergyResponse extends EnergyFigures {
  /** As the KPI routes' scope (without the micro-stop threshold), with the energy settings. */
  readonly scope: Omit<OeeScopeInfo, 'microStopS' | 'machine' | 'line'> & {
    readonly voltageLevel: string
    readonly voltageLevelDefaulted: boolean
    readonly maxKw: number
    /** Machines whose units are the scope's: each line's end-of-line machine (the machine itself for a machine). */
    readonly unitMachines: string[]
  }
  /** The reference data the figures used, with their sources and what remains to check. */
  readonly reference: {
    readonly tariffs: Array<Cited & { id: string; effectiveFrom: string | null; effectiveTo: string | null; currency: string; vat: 'excluded' }>
    readonly tou: Array<Cited & { id: string; effectiveFrom: string | null; effectiveTo: string | null }>
    readonly emissionFactors: Array<Cited & { year: number; tCo2PerMwh: number }>
    readonly reactivePower: Array<Cited & { id: string; effectiveFrom: string | null; effectiveTo: string | null; minCosPhi: number }>
    readonly grid: string
  }
  /** The scope per bucket; empty when `bucket` is none. */
  readonly buckets: EnergyBucket[]
  /** Each machine of the scope over the window. */
  readonly machines: MachineEnergy[]
}

const iso = (ms: number): string => new Date(ms).toISOString()
const prefix = (path: string, segments: number): string => path.split('/').slice(0, segments).join('/')

/** The machines whose units count for the scope: the machine itself, or each line's end-of-line machine. */
function unitMachinesOf(scope: Scope, machines: readonly MachineRow[]): string[] {
  if (scope.level === 'machine') return machines.map((m) => m.machine)
  const byLine = new Map<string, MachineRow[]>()
  for (const m of machines) byLine.set(prefix(m.machine, 5), [...(byLine.get(prefix(m.machine, 5)) ?? []), m])
  return [...byLine.values()].map(
    (ms) => lineJudge(ms.map((m) => ({ machine: m.machine, position: m.position, endOfLine: m.end_of_line, lineIdealCycleS: m.line_ideal_cycle_s }))).machine,
  )
}

interface MeterTally {
  rejectedReadings: number
  rejectedKwh: number
  checkedIntervals: number
}

const noTally = (): MeterTally => ({ rejectedReadings: 0, rejectedKwh: 0, checkedIntervals: 0 })

/** Adds what a checked suspect interval keeps into machine and bucket sums, as the query would have. */
function addKept(machine: EnergySums, bucket: EnergySums, unit: boolean, x: SuspectInterval, ms: Readonly<Record<MachineStateCode, number>>, kwh: number, kvarh: number, slice: EnergySlice): void {
  const byState = noStateKwh()
  addByState(byState, kwh, ms, 'OFFLINE')
  for (const s of [machine, bucket]) {
    // Units of the interval count as they are.
    s.produced += x.produced
    s.rejected += x.rejected
    s.kwh += kwh
    s.kvarh += kvarh
    for (const st of MACHINE_STATES) s.byState[st] += byState[st]
    addOeeTime(s.byOeeTime, slice.kind, byState)
    s.byClass.set(slice.cls, (s.byClass.get(slice.cls) ?? 0) + kwh)
  }
  if (unit) {
    bucket.unitProduced += x.produced
    bucket.unitRejected += x.rejected
  }
}

/**
 * Checks the raw readings of the suspect intervals one by one: the plausible ones (a catch-up
 * after a gap) go into the sums, quarter totals and peaks; the rest are tallied, never summed.
 */
async function settleSuspects(
  ch: Clickhouse,
  totals: EnergyTotals,
  layout: EnergyLayout,
  units: ReadonlySet<string>,
  latest: ReadonlyMap<string, LatestState>,
  now: number,
  maxKw: number,
): Promise<{ tally: Map<string, MeterTally>; bucketTally: Map<number, MeterTally> }> {
  const tally = new Map<string, MeterTally>()
  const bucketTally = new Map<number, MeterTally>()
  if (totals.suspects.length === 0) return { tally, bucketTally }
  const [readings, states] = await Promise.all([suspectReadings(ch, totals.suspects), intervalStates(ch, totals.suspects)])
  for (const x of totals.suspects) {
    // State time of the interval as the query shares it: closed intervals, plus the state still open.
    const ms = { ...(states.get(`${x.machine}@${x.start}`) ?? Object.fromEntries(MACHINE_STATES.map((s) => [s, 0]))) } as Record<MachineStateCode, number>
    const open = latest.get(x.machine)
    if (open) ms[open.state] += Math.max(0, Math.min(x.start + x.length, now) - Math.max(x.start, open.t))
    const slice = layout.slices[x.slice]
    if (!slice) continue
    // The interval's energy: readings taken in (start, end], each the energy since the one before.
    const mine = readings.filter((r) => r.machine === x.machine && r.ts > x.start && r.ts <= x.start + x.length)
    const first = mine[0]
    const check = checkMeterDeltas(
      mine.map((r) => ({ ts: r.ts, kwh: r.kwh, kvarh: r.kvarh })),
      // No reading within the look-back: judge the first as if the previous one were that far back.
      { maxKw, previousTs: first ? (first.previousTs ?? first.ts - METER_LOOKBACK_MS) : undefined },
    )
    const kwh = check.kept.reduce((a, r) => a + r.kwh, 0)
    const kvarh = check.kept.reduce((a, r) => a + (r.kvarh ?? 0), 0)
    const machineSums = totals.machines.get(x.machine) ?? emptySums()
    totals.machines.set(x.machine, machineSums)
    const bucketSums = totals.buckets.get(slice.bucket) ?? emptySums()
    totals.buckets.set(slice.bucket, bucketSums)
    addKept(machineSums, bucketSums, units.has(x.machine), x, ms, kwh, kvarh, slice)
    // Kept energy counts as demand of its interval only if the interval could have drawn it: a
    // catch-up after a gap is energy of the gap, not a 15-minute demand.
    if (kwh <= (maxKw * x.length) / 3_600_000) {
      const q = Math.floor(x.start / QUARTER_MS) * QUARTER_MS
      const byQ = totals.quarters.get(slice.bucket) ?? new Map<number, number>()
      totals.quarters.set(slice.bucket, byQ)
      byQ.set(q, (byQ.get(q) ?? 0) + kwh)
      // A whole quarter checked is a peak candidate of its machine (a cut quarter's minute is not).
      const peak = totals.peaks.get(x.machine)
      if (x.length === QUARTER_MS && kwh > 0 && (!peak || kwh > peak.kwh || (kwh === peak.kwh && q < peak.start))) totals.peaks.set(x.machine, { kwh, start: q })
    }
    for (const [map, key] of [[tally, x.machine], [bucketTally, slice.bucket]] as const) {
      const t = (map as Map<typeof key, MeterTally>).get(key) ?? noTally()
      ;(map as Map<typeof key, MeterTally>).set(key, t)
      t.checkedIntervals++
      for (const r of check.rejected) {
        t.rejectedReadings++
        t.rejectedKwh += Number.isFinite(r.reading.kwh) ? r.reading.kwh : 0
      }
    }
  }
  return { tally, bucketTally }
}

/** The coincident peak of quarters in `maps` (a quarter in several maps, cut by bucket edges, summed back). */
function coincidentPeak(maps: Iterable<ReadonlyMap<number, number> | undefined>): Peak | null {
  const sum = new Map<number, number>()
  for (const m of maps) if (m) for (const [q, k] of m) sum.set(q, (sum.get(q) ?? 0) + k)
  return peakDemand([...sum].map(([start, kwh]) => ({ start, kwh })))
}

const machinePeak = (p: QuarterPeak | undefined): Peak | null => (p ? { kw: intervalKw(p.kwh), start: p.start } : null)

/**
 * Energy KPIs for a scope and window (see {@link EnergyResponse}); with a baseline period, each set
 * of figures also gets its EnPI: the window's and each bucket's SEC against the scope's SEC over
 * the baseline, each machine's against its own.
 */
export async function energy(deps: EnergyDeps, q: EnergyQuery): Promise<EnergyResponse> {
  const { baseline, ...reporting } = q
  const [res, base] = await Promise.all([energyOf(deps, reporting), baseline ? energyOf(deps, { scope: q.scope, ...baseline, bucket: 'none', ...(q.maxKw !== undefined ? { maxKw: q.maxKw } : {}) }) : null])
  if (!base || !baseline) return res
  const from = iso(baseline.from)
  const to = iso(baseline.to)
  const scopeBase = enpiBaseline(from, to, base)
  const withEnpi = <F extends EnergyFigures>(f: F, b: EnpiBaseline): F => ({ ...f, enpi: enpiOf(b, { kwh: f.kwh, goodUnits: f.units.good }) })
  const byMachine = new Map(base.machines.map((m) => [m.machine, m]))
  return {
    ...withEnpi(res, scopeBase),
    buckets: res.buckets.map((b) => withEnpi(b, scopeBase)),
    machines: res.machines.map((m) => {
      const mb = byMachine.get(m.machine)
      return withEnpi(m, mb ? enpiBaseline(from, to, mb) : { from, to, kwh: 0, goodUnits: 0, kwhPerGoodUnit: null })
    }),
  }
}

async function energyOf(deps: EnergyDeps, q: Omit<EnergyQuery, 'baseline'>): Promise<EnergyResponse> {
  const ch = deps.clickhouse
  const now = deps.now()
  const ref = deps.reference.energy
  const site = factoryOf(deps.reference, q.scope.factory)
  const bucket = q.bucket ?? 'none'
  const maxKw = q.maxKw ?? DEFAULT_MAX_KW
  const machines = await machinesIn(ch, q.scope)
  const pricing = { tz: site.timezone, voltageLevel: site.voltageLevel, tou: ref.tou, tariffs: ref.tariffs }
  const layout = energyLayout({ pricing, calendar: site.calendar, from: q.from, to: q.to, bucket })
  if (layout.buckets.length > MAX_BUCKETS) {
    throw new ApiError('SHOPFLOOR_API_BAD_PARAM', `the window holds ${layout.buckets.length} buckets of "${bucket}"; at most ${MAX_BUCKETS}: ask for a coarser bucket or a shorter window`, 'bucket')
  }
  const ids = machines.map((m) => m.machine)
  const unitMachines = unitMachinesOf(q.scope, machines)
  const extra = layout.buckets.length
  const latest = await latestStates(ch, { machines: ids, factories: [...new Set(ids.map((m) => prefix(m, 3)))], lines: [...new Set(ids.map((m) => prefix(m, 5)))] }, now)
  const totals = await energyTotals(ch, { machines: ids, slices: layout.slices, unitMachines, latest, now, maxKw })
  const settled = await settleSuspects(ch, totals, layout, new Set(unitMachines), latest, now, maxKw)

  const ctx = { classes: layout.classes as readonly SlotClass[], emissionFactors: ref.emissionFactors, reactivePower: ref.reactivePower, reactiveDay: localSlot(site.timezone, q.from).day }
  const figuresOf = (s: EnergySums, units: { produced: number; rejected: number }, peak: Peak | null, start: number, end: number, meter: MeterTally): EnergyFigures =>
    energyFigures({ ...s, ...units, peak, start, end, meter }, ctx)

  const machineRows: MachineEnergy[] = machines.map((m) => {
    const s = totals.machines.get(m.machine) ?? emptySums()
    const f = figuresOf(s, s, machinePeak(totals.peaks.get(m.machine)), q.from, q.to, settled.tally.get(m.machine) ?? noTally())
    return { machine: m.machine, name: m.name, line: m.line, ...f }
  })
  const bucketSums = (b: number): EnergySums => totals.buckets.get(b) ?? emptySums()
  const unitsOf = (s: EnergySums) => ({ produced: s.unitProduced, rejected: s.unitRejected })
  const bucketRows: EnergyBucket[] = layout.buckets.map((b, i) => ({
    key: b.key,
    start: iso(b.start),
    end: iso(b.end),
    ...figuresOf(bucketSums(i), unitsOf(bucketSums(i)), coincidentPeak([totals.quarters.get(i)]), b.start, b.end, settled.bucketTally.get(i) ?? noTally()),
  }))
  // The window: Σ of the buckets and of the time between them.
  const total = emptySums()
  for (let b = 0; b <= extra; b++) {
    const s = totals.buckets.get(b)
    if (!s) continue
    total.kwh += s.kwh
    total.kvarh += s.kvarh
    total.unitProduced += s.unitProduced
    total.unitRejected += s.unitRejected
    for (const st of MACHINE_STATES) total.byState[st] += s.byState[st]
    for (const k of Object.keys(total.byOeeTime) as Array<keyof typeof total.byOeeTime>) total.byOeeTime[k] += s.byOeeTime[k]
    for (const [c, kwh] of s.byClass) total.byClass.set(c, (total.byClass.get(c) ?? 0) + kwh)
  }
  const meterTotal = [...settled.tally.values()].reduce(
    (a, t) => ({ rejectedReadings: a.rejectedReadings + t.rejectedReadings, rejectedKwh: a.rejectedKwh + t.rejectedKwh, checkedIntervals: a.checkedIntervals + t.checkedIntervals }),
    noTally(),
  )
  // A quarter cut by a bucket edge is summed back whole for the window's peak.
  const scopeFigures = figuresOf(total, unitsOf(total), coincidentPeak(totals.quarters.values()), q.from, q.to, meterTotal)

  const usedClasses = [...total.byClass.keys()].map((c) => layout.classes[c] as SlotClass)
  const tariffs = [...new Map(usedClasses.flatMap((c) => (c.tariff ? [[c.tariff.id, c.tariff] as const] : []))).values()]
  const regimes = [...new Map(usedClasses.flatMap((c) => (c.regime ? [[c.regime.id, c.regime] as const] : []))).values()]
  const factorYears = new Set(scopeFigures.co2.byYear.flatMap((y) => (y.factorYear === null ? [] : [y.factorYear])))
  return {
    ...scopeFigures,
    scope: {
      level: q.scope.level,
      path: q.scope.path,
      factory: site.path,
      from: iso(q.from),
      to: iso(q.to),
      bucket,
      timezone: site.timezone,
      calendar: site.calendarId,
      calendarDefaulted: calendarIsDefault(site),
      voltageLevel: site.voltageLevel,
      voltageLevelDefaulted: site.defaultedFields.includes('voltageLevel'),
      maxKw,
      unitMachines,
    },
    reference: {
      tariffs: tariffs.map((t) => ({ id: t.id, effectiveFrom: t.effectiveFrom, effectiveTo: t.effectiveTo, currency: t.currency, vat: 'excluded' as const, source: t.source, check: t.check ?? null })),
      tou: regimes.map((r) => ({ id: r.id, effectiveFrom: r.effectiveFrom, effectiveTo: r.effectiveTo, source: r.source, check: r.check ?? null })),
      emissionFactors: ref.emissionFactors.filter((f) => factorYears.has(f.year)).map((f) => ({ year: f.year, tCo2PerMwh: f.tCo2PerMwh, source: f.source, check: f.check ?? null })),
      reactivePower: ref.reactivePower
        .filter((r) => r.id === scopeFigures.reactiveCharge.rule)
        .map((r) => ({ id: r.id, effectiveFrom: r.effectiveFrom, effectiveTo: r.effectiveTo, minCosPhi: r.minCosPhi, source: r.source, check: r.check ?? null })),
      grid: ref.grid,
    },
    buckets: bucketRows,
    machines: machineRows,
  }
}
