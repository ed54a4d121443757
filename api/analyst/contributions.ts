/**
 * The factories' monthly sums for the analysts' tables, from ClickHouse through the KPI and energy
 * services, and the publication structure from the seed files.
 *
 * SIGNATURES (the D1 ↔ D2 seam of session 4):
 *
 *   factoryContributions(ch: Clickhouse, reference: Reference, { from, to, now }: ContributionWindow)
 *     : Promise<FactoryContribution[]>
 *       from, to: calendar months 'YYYY-MM' (inclusive), each factory on its own clock; now: epoch ms
 *       (time after it has not happened). One FactoryContribution (api/analyst/types.ts) per factory
 *       of factories.yaml and calendar month in which it reported anything; `sector` is the VSIC 2025
 *       division ('26' for class '2610'). Definitions of each sum: see the function's TSDoc.
 *   publicationStructure(reference: Reference): PublicationStructure
 *       every region and park of regions.yaml; the VSIC 2025 divisions of sectors.yaml.
 *   releasedYear(structure, contributions, config, year, through): PublishedCell[]   (release.ts)
 *       the cells the route serves: monthly releases through `through`, closed periods only.
 *
 * Route (api/routes/analyst.ts, access 'analyst': admin or analyst; plant engineers get 403):
 *   GET /api/v1/analyst/tables?period=month|quarter|year&shape=region-park|region-sector|park-sector
 *        [&from=YYYY-MM][&to=YYYY-MM][&format=json|csv|parquet]
 *     to defaults to the last released month (disclosure.yaml releaseDelayDays after it ends), from
 *     to January of to's year. json: { period, shape, from, to, releasedThrough, cells: PublishedCell[] }.
 *     csv / parquet: one row per cell: period, periodKind, region, park, sector, sectorVsic2018,
 *     factories, suppressed, then the PublishedValues fields (empty / null when not shown).
 *   GET /api/v1/analyst/structure -> { regions: [{ id, name, nameVi, parks: [{ id, name, nameVi }] }],
 *     sectors: [{ vsic2025, vsic2018, name, nameVi }], releasedThrough, disclosure: { rules } }
 */
import type { Clickhouse } from '../../stream/index.ts'
import { fromWall, planSegments } from '../calendar/index.ts'
import { energy } from '../energy/service.ts'
import { oee } from '../kpi-service.ts'
import { listMachines } from '../queries/registry.ts'
import { factoriesOf, type Factory, type Reference } from '../reference/index.ts'
import { DisclosureError } from './errors.ts'
import type { FactoryContribution, PublicationStructure } from './types.ts'

/** Which calendar months to compute, and the clock. */
export interface ContributionWindow {
  /** First calendar month, `YYYY-MM` (inclusive), on each factory's own clock. */
  readonly from: string
  /** Last calendar month, `YYYY-MM` (inclusive). */
  readonly to: string
  /** Epoch ms: time after it has not happened yet (a month reaching past it is partial). */
  readonly now: number
  /**
   * Factories computed at once (each asks the KPI and the energy service together, so twice as
   * many queries are in flight). Default 4; 1 computes one factory after the other.
   */
  readonly concurrency?: number
}

const DEFAULT_CONCURRENCY = 4

/** `f` over `items`, at most `limit` at a time; results in the items' order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await f(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return out
}

const MINUTE_MS = 60_000
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/

/** `YYYY-MM` -> [year, month 1..12]; throws naming the field. */
export function parseMonth(month: string, field: string): [number, number] {
  const m = MONTH.exec(month)
  if (!m) throw new DisclosureError('SHOPFLOOR_ANALYST_INPUT_INVALID', `${field} must be a month YYYY-MM (got ${JSON.stringify(month)})`)
  return [Number(m[1]), Number(m[2])]
}

/** The month `n` months after `month` (`2026-12` + 1 = `2027-01`). */
export function addMonths(month: string, n: number): string {
  const [y, m] = parseMonth(month, 'month')
  const i = y * 12 + (m - 1) + n
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`
}

/** The instant a calendar month starts on the clocks of `tz`. */
export function monthStart(tz: string, month: string): number {
  const [y, m] = parseMonth(month, 'month')
  return fromWall(tz, Date.UTC(y, m - 1, 1))
}

/** The publishing level of a VSIC 2025 (or 2018) code: its division, the first two digits (`2610` -> `26`). */
export function sectorDivision(code: string): string {
  return code.slice(0, 2)
}

/**
 * The fixed layout of every published table, from the seed files: each region with all its parks
 * (regions.yaml, in file order), and the sectors at the publishing level, the VSIC 2025 divisions
 * of sectors.yaml (a class such as `2610` counts in its division `26`), each with its VSIC 2018
 * division. Factories do not shape it: a park or sector without a reporting factory has empty cells.
 */
export function publicationStructure(reference: Reference): PublicationStructure {
  return {
    regions: reference.regions.map((r) => ({ id: r.id, parks: reference.parks.filter((p) => p.region === r.id).map((p) => p.id) })),
    sectors: sectorDivisions(reference).map((s) => ({ vsic2025: s.vsic2025, vsic2018: s.vsic2018 })),
  }
}

/** A sector at the publishing level, with the names the analyst page shows. */
export interface SectorDivision {
  readonly vsic2025: string
  /** The VSIC 2018 division(s) it maps from, joined by `+` when several. */
  readonly vsic2018: string
  readonly name: string
  readonly nameVi: string | null
}

/** The VSIC 2025 divisions of sectors.yaml in file order: the division's own entry, else derived from its first class. */
export function sectorDivisions(reference: Reference): SectorDivision[] {
  const out = new Map<string, SectorDivision>()
  for (const s of reference.sectors) {
    const division = sectorDivision(s.vsic2025)
    const own = s.vsic2025 === division
    if (out.has(division) && !own) continue
    const vsic2018 = [...new Set(s.vsic2018.map(sectorDivision))].join('+')
    const entry = { vsic2025: division, vsic2018, name: s.name, nameVi: s.nameVi ?? null }
    // A division listed after one of its classes still names itself.
    if (own || !out.has(division)) out.set(division, entry)
  }
  return [...out.values()]
}

const isNotFound = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === 'SHOPFLOOR_API_NOT_FOUND'

/** Planned production seconds of the calendar in [from, to). */
function productionSeconds(site: Factory, from: number, to: number): number {
  if (!(to > from)) return 0
  let ms = 0
  for (const s of planSegments(site.calendar, site.timezone, from, to)) if (s.kind === 'production') ms += s.end - s.start
  return ms / 1000
}

/**
 * Each factory's sums per calendar month (its own timezone) from ClickHouse, through the KPI
 * service (OEE time model, units, ideal times; a factory is the sum of its lines, each judged by
 * its end-of-line machine) and the energy service (kWh of all its machines, CO2 with the grid
 * emission factor of the year). Factories of factories.yaml only (they have a park and sector);
 * a factory whose machines the agents never announced, or a month in which it reported nothing
 * (no state but OFFLINE, no unit, no kWh), has no contribution: it is not a reporting factory then.
 *
 * - `produced`, `good`: all units its lines made in the month (also outside planned time);
 *   `idealProducedS`, `idealGoodS`, `plannedBusyS`, `actualProductionS`: production time only,
 *   as in the OEE.
 * - `expectedS`: the calendar's production seconds × the factory's lines (each judged by one
 *   machine), up to `now`; `reportedS`: of that, the seconds its judging machines reported a
 *   state other than OFFLINE (planned busy + planned stop time).
 */
export async function factoryContributions(ch: Clickhouse, reference: Reference, window: ContributionWindow): Promise<FactoryContribution[]> {
  parseMonth(window.from, 'from')
  parseMonth(window.to, 'to')
  if (window.to < window.from) throw new DisclosureError('SHOPFLOOR_ANALYST_INPUT_INVALID', `to (${window.to}) is before from (${window.from})`)
  const deps = { clickhouse: ch, reference, now: () => window.now }
  const sites = factoriesOf(reference).filter((f) => f.sector !== null)
  const machines = await listMachines(ch, { factories: sites.map((f) => f.path) })
  const linesOf = new Map<string, Set<string>>()
  for (const m of machines) linesOf.set(m.factory, (linesOf.get(m.factory) ?? new Set()).add(m.line))
  const concurrency = window.concurrency ?? DEFAULT_CONCURRENCY
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new DisclosureError('SHOPFLOOR_ANALYST_INPUT_INVALID', `concurrency must be an integer >= 1 (got ${concurrency})`)
  const perSite = await mapBounded(sites, concurrency, async (site): Promise<FactoryContribution[]> => {
    const out: FactoryContribution[] = []
    const lines = linesOf.get(site.path)?.size ?? 0
    if (lines === 0) return out
    const from = monthStart(site.timezone, window.from)
    // Energy is kept per minute: the window ends on a whole minute.
    const to = Math.min(monthStart(site.timezone, addMonths(window.to, 1)), Math.max(from, Math.floor(window.now / MINUTE_MS) * MINUTE_MS))
    if (!(to > from)) return out
    const scope = { level: 'factory' as const, path: site.path, factory: site.path }
    const both = await Promise.all([oee(deps, { scope, from, to, bucket: 'month' }), energy(deps, { scope, from, to, bucket: 'month' })]).catch((err: unknown) => {
      if (isNotFound(err)) return undefined
      throw err
    })
    if (!both) return out
    const [k, e] = both
    const energyOf = new Map(e.buckets.map((b) => [b.key, b]))
    for (const b of k.buckets) {
      const eb = energyOf.get(b.key)
      const kwh = eb?.kwh ?? 0
      const s = b.seconds
      const o = b.outsidePlan.states
      const outsideReportedS = o.running + o.microStops + o.down + o.idle + o.setup + o.plannedStop
      const produced = b.counts.produced + b.outsidePlan.counts.produced
      const reportedS = s.plannedBusy + s.plannedStop
      // OFFLINE all month (the last state an agent sent, carried on) is not reporting.
      if (reportedS === 0 && outsideReportedS === 0 && produced === 0 && kwh === 0) continue
      const expectedS = productionSeconds(site, Date.parse(b.start), Math.min(Date.parse(b.end), window.now)) * lines
      out.push({
        factory: site.path,
        month: b.key,
        region: site.region,
        park: site.park,
        sector: sectorDivision((site.sector as NonNullable<Factory['sector']>).vsic2025),
        plannedBusyS: s.plannedBusy,
        actualProductionS: s.actualProduction,
        idealProducedS: s.idealProduced,
        idealGoodS: s.idealGood,
        produced,
        good: b.counts.good + b.outsidePlan.counts.good,
        kwh,
        co2Kg: eb?.co2.kg ?? 0,
        expectedS,
        reportedS: Math.min(expectedS, reportedS),
      })
    }
    return out
  })
  return perSite.flat()
}
