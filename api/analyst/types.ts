/**
 * What goes into the disclosure-control engine (per-factory monthly sums, known only inside the
 * API) and what comes out of it (published cells, which never name a factory).
 */

/**
 * The additive magnitudes of one factory in one month. All are sums (seconds, units, kWh), never
 * ratios: every published ratio is computed from the summed numerator and denominator.
 */
export const MAGNITUDES = [
  'plannedBusyS',
  'actualProductionS',
  'idealProducedS',
  'idealGoodS',
  'produced',
  'good',
  'kwh',
  'co2Kg',
  'expectedS',
  'reportedS',
] as const

export type Magnitude = (typeof MAGNITUDES)[number]

/** The magnitudes a published cell shows as sums (completeness is shown as a ratio only). */
export const PUBLISHED_SUMS = ['plannedBusyS', 'actualProductionS', 'idealProducedS', 'idealGoodS', 'produced', 'good', 'kwh', 'co2Kg'] as const

export type PublishedSum = (typeof PUBLISHED_SUMS)[number]

/** One factory's sums for one month, and where it sits. Computed by the API from ClickHouse. */
export interface FactoryContribution {
  /**
   * Opaque key of the factory (its path is fine): used only to add up one factory's months and to
   * rank the contributors of a cell. It never leaves the engine.
   */
  readonly factory: string
  /** Calendar month, `YYYY-MM`, in the factory's time zone. */
  readonly month: string
  /** Region id (as in the regions seed). */
  readonly region: string
  /** Park id within the region. */
  readonly park: string
  /** Sector code at the publishing level (VSIC 2025 division such as `C26`), as listed in the structure. */
  readonly sector: string
  /** PBT: planned busy time of the factory's judged machines, seconds (OEE denominator). */
  readonly plannedBusyS: number
  /** APT: actual production time (running + micro-stops), seconds. */
  readonly actualProductionS: number
  /** Σ produced units × ideal cycle time, seconds. */
  readonly idealProducedS: number
  /** Σ good units × ideal cycle time, seconds (OEE numerator). */
  readonly idealGoodS: number
  /** Units produced (good + rejected). */
  readonly produced: number
  /** Good units: the published "output". */
  readonly good: number
  /** Energy, kWh. */
  readonly kwh: number
  /** Scope-2 CO2, kg (kWh × the grid emission factor of the year). */
  readonly co2Kg: number
  /** Planned seconds for which machine data was expected (the calendar's production time of the judged machines). */
  readonly expectedS: number
  /** Of `expectedS`, the seconds for which data arrived (not OFFLINE): completeness = reported / expected. */
  readonly reportedS: number
}

/** The fixed geography and sector lists every table is laid out on (from the seed files). */
export interface PublicationStructure {
  readonly regions: ReadonlyArray<{ readonly id: string; readonly parks: readonly string[] }>
  /** Sectors at the publishing level; the VSIC 2018 code is carried along for users of the old classification. */
  readonly sectors: ReadonlyArray<{ readonly vsic2025: string; readonly vsic2018: string | null }>
}

export interface DisclosureInput {
  readonly structure: PublicationStructure
  readonly contributions: readonly FactoryContribution[]
}

export type PeriodKind = 'month' | 'quarter' | 'year'

/**
 * The table shapes that may be published; each comes with its margins.
 * - `region-park`: each park, each region's total, the grand total (all sectors).
 * - `region-sector`: region × sector, region totals, sector totals, grand total.
 * - `park-sector`: park × sector, park totals, sector totals (all parks), grand total.
 */
export const TABLE_SHAPES = ['region-park', 'region-sector', 'park-sector'] as const
export type TableShape = (typeof TABLE_SHAPES)[number]

export const PERIOD_KINDS = ['month', 'quarter', 'year'] as const

/** Why a cell shows no values: its own figures are sensitive (`primary`), or it would let one recompute a sensitive cell (`secondary`). */
export type Suppression = 'primary' | 'secondary'

/** A published cell's figures: the sums of its factories and the ratios computed from those sums (null when the denominator is 0). */
export interface PublishedValues extends Pick<FactoryContribution, PublishedSum> {
  /** APT / PBT. */
  readonly availability: number | null
  /** Σ ideal time of produced units / APT (not capped). */
  readonly performance: number | null
  /** Σ ideal time of good units / Σ ideal time of produced units. */
  readonly quality: number | null
  /** Σ ideal time of good units / PBT. */
  readonly oee: number | null
  readonly kwhPerGoodUnit: number | null
  readonly co2KgPerGoodUnit: number | null
  /** Σ reported seconds / Σ expected seconds of the cell's factories. */
  readonly completeness: number | null
}

/**
 * One cell of the published tables. `null` in `region`, `park` or `sector` means "all" (a margin).
 * A suppressed cell is listed with its mark and no values; an empty cell (no reporting factory)
 * has `factories: 0` and no values. No field names or identifies a factory.
 */
export interface PublishedCell {
  /** `2026-01`, `2026-Q1` or `2026`. */
  readonly period: string
  readonly periodKind: PeriodKind
  readonly region: string | null
  readonly park: string | null
  /** VSIC 2025 code; null for all sectors. */
  readonly sector: string | null
  readonly sectorVsic2018: string | null
  /** Number of reporting factories (published for suppressed cells too). */
  readonly factories: number
  readonly suppressed: Suppression | null
  readonly values: PublishedValues | null
}

export interface Publication {
  readonly cells: readonly PublishedCell[]
  /**
   * Cells an earlier release published that are sensitive now (their data was revised): they are
   * suppressed from now on, but the earlier values stay public. By key; empty normally.
   */
  readonly revisedSensitive: readonly string[]
  readonly summary: {
    readonly cells: number
    readonly empty: number
    readonly published: number
    readonly primary: number
    readonly secondary: number
  }
}

/** A cell's key, `period|region|park|sector` with `*` for "all": stable across releases. */
export const cellKey = (c: { readonly period: string; readonly region: string | null; readonly park: string | null; readonly sector: string | null }): string =>
  `${c.period}|${c.region ?? '*'}|${c.park ?? '*'}|${c.sector ?? '*'}`
