/**
 * The engine's entry point: per-factory monthly sums in, the fixed tables out, with every
 * sensitive cell and its complements marked suppressed. Each year is one linked problem (its
 * months, quarters and the year, across all table shapes); years are not summed together, so
 * they are independent.
 */
import { resolveDisclosureConfig, type DisclosureConfig } from './config.ts'
import { buildCube, checkInput, PRIMARY, PUBLISHED, SECONDARY, type Cube } from './cube.ts'
import { primarySuppression } from './rules.ts'
import { secondarySuppression } from './secondary.ts'
import { cellKey, type DisclosureInput, type Publication, type PublishedCell, type PublishedValues, type TableShape } from './types.ts'

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)

function valuesOf(cube: Cube, i: number): PublishedValues {
  const v = (m: keyof Cube['totals']): number => cube.totals[m][i] as number
  return {
    plannedBusyS: v('plannedBusyS'),
    actualProductionS: v('actualProductionS'),
    idealProducedS: v('idealProducedS'),
    idealGoodS: v('idealGoodS'),
    produced: v('produced'),
    good: v('good'),
    kwh: v('kwh'),
    co2Kg: v('co2Kg'),
    availability: ratio(v('actualProductionS'), v('plannedBusyS')),
    performance: ratio(v('idealProducedS'), v('actualProductionS')),
    quality: ratio(v('idealGoodS'), v('idealProducedS')),
    oee: ratio(v('idealGoodS'), v('plannedBusyS')),
    kwhPerGoodUnit: ratio(v('kwh'), v('good')),
    co2KgPerGoodUnit: ratio(v('co2Kg'), v('good')),
    completeness: ratio(v('reportedS'), v('expectedS')),
  }
}

function keyOf(cube: Cube, i: number): { period: string; region: string | null; park: string | null; sector: string | null } {
  const [t, g, s] = cube.coords(i)
  const geo = cube.geoKey[g] as { region: string | null; park: string | null }
  return { period: cube.dims[0].nodes[t]?.key as string, region: geo.region, park: geo.park, sector: cube.dims[2].nodes[s]?.key ?? null }
}

/** The shown cells of a cube under a suppression pattern. */
export function renderCells(cube: Cube, status: Uint8Array): PublishedCell[] {
  const out: PublishedCell[] = []
  for (let i = 0; i < cube.size; i++) {
    if (!cube.shown[i]) continue
    const [t, , s] = cube.coords(i)
    const st = status[i]
    const key = keyOf(cube, i)
    out.push({
      period: key.period,
      periodKind: cube.periodKind[t] as PublishedCell['periodKind'],
      region: key.region,
      park: key.park,
      sector: key.sector,
      sectorVsic2018: cube.sectorVsic2018[s] ?? null,
      factories: cube.factories[i] as number,
      suppressed: st === PRIMARY ? 'primary' : st === SECONDARY ? 'secondary' : null,
      values: st === PUBLISHED ? valuesOf(cube, i) : null,
    })
  }
  return out
}

/** Stages of {@link publishTables}, for tests and audits that need a pattern before secondary suppression. */
export interface PublishOptions {
  /**
   * `false` publishes with primary suppression only. NEVER for real publication: the attack tests
   * use it to show what secondary suppression prevents.
   */
  readonly secondary?: boolean
  /**
   * `false` skips the reduction pass (complements the protection does not need are published
   * again). Default true; tests switch it off to measure what it gains.
   */
  readonly reduce?: boolean
  /**
   * The cells of earlier releases of the same years (what readers already hold). Their published
   * cells are never chosen as complements and their suppressed cells stay suppressed, so a new
   * release cannot be combined with an old one to recompute a hidden cell.
   */
  readonly previous?: readonly PublishedCell[]
  /**
   * The month a release closes (`YYYY-MM`): cells of a period not ended by it (a quarter or year to
   * date) are withheld, neither output nor assumed known to readers, so that complements are chosen
   * among the cells this release actually shows. Default: every configured period is published.
   */
  readonly closedThrough?: string
}

/** Whether a period (`2026-01`, `2026-Q1`, `2026`) has ended by the end of `month` (`YYYY-MM`). */
export function periodClosed(period: string, month: string): boolean {
  const year = period.slice(0, 4)
  if (year !== month.slice(0, 4)) return year < month.slice(0, 4)
  if (period.length === 4) return month.endsWith('-12')
  if (period[5] === 'Q') return Number(period.slice(6)) * 3 <= Number(month.slice(5, 7))
  return period <= month
}

/**
 * The published tables for the contributions' years: every configured shape and period, every
 * cell listed, sensitive cells and their complements marked and without values.
 *
 * `config` is an operator's configuration or a resolved one; either is validated here.
 * Throws {@link DisclosureError}: `SHOPFLOOR_ANALYST_CONFIG_INVALID`, `SHOPFLOOR_ANALYST_INPUT_INVALID`,
 * `SHOPFLOOR_ANALYST_PROTECTION_FAILED`.
 */
export function publishTables(input: DisclosureInput, config: unknown = {}, options: PublishOptions = {}): Publication {
  const cfg: DisclosureConfig = resolveDisclosureConfig(config)
  const byYear = checkInput(input.structure, input.contributions)
  const previous = new Map((options.previous ?? []).map((c) => [cellKey(c), c]))
  const cells: PublishedCell[] = []
  const revisedSensitive: string[] = []
  for (const year of [...byYear.keys()].sort()) {
    const cube = buildCube(year, input.structure, byYear.get(year) as [], cfg)
    if (options.closedThrough !== undefined) {
      const through = options.closedThrough
      for (let i = 0; i < cube.size; i++) if (cube.shown[i] && !periodClosed(keyOf(cube, i).period, through)) cube.shown[i] = 0
    }
    const { status, requirements } = primarySuppression(cube, cfg)
    let pinned: Uint8Array | undefined
    let locked: Uint8Array | undefined
    if (previous.size > 0) {
      pinned = new Uint8Array(cube.size)
      locked = new Uint8Array(cube.size)
      for (let i = 0; i < cube.size; i++) {
        const key = cellKey(keyOf(cube, i))
        const before = previous.get(key)
        if (!before) continue
        if (before.values !== null) {
          pinned[i] = 1
          if (status[i] === PRIMARY) revisedSensitive.push(key)
        } else if (before.suppressed !== null) {
          locked[i] = 1
          if (status[i] === PUBLISHED) status[i] = SECONDARY
        }
      }
    }
    if (options.secondary !== false) secondarySuppression(cube, status, requirements, cfg, pinned, { locked, reduce: options.reduce !== false })
    cells.push(...renderCells(cube, status))
  }
  const count = (f: (c: PublishedCell) => boolean): number => cells.filter(f).length
  return {
    cells,
    revisedSensitive,
    summary: {
      cells: cells.length,
      empty: count((c) => c.factories === 0),
      published: count((c) => c.values !== null),
      primary: count((c) => c.suppressed === 'primary'),
      secondary: count((c) => c.suppressed === 'secondary'),
    },
  }
}

/** The cells of one table shape (margins included) among `cells`, in their order. */
export function publicationCells(cells: readonly PublishedCell[], shape: TableShape): PublishedCell[] {
  const inShape =
    shape === 'region-park'
      ? (c: PublishedCell) => c.sector === null
      : shape === 'region-sector'
        ? (c: PublishedCell) => c.park === null
        : (c: PublishedCell) => c.park !== null || c.region === null
  return cells.filter(inShape)
}

/**
 * The cells of one published table: `period` (`2026-01`, `2026-Q1`, `2026`) and `shape`, margins
 * included, in the structure's order (regions, parks and sectors as listed; "all" first).
 */
export function tableCells(cells: readonly PublishedCell[], shape: TableShape, period: string): PublishedCell[] {
  return publicationCells(cells.filter((c) => c.period === period), shape)
}
