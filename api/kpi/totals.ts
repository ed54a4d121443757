import type { StateTime } from './state-time.ts'

/**
 * What one machine did in one stretch of time, in a form that adds up: milliseconds per state,
 * unit counts, ideal times (Σ count × ideal cycle time, seconds) and kWh. Every figure of the KPI
 * engine is computed from a sum of these, never from an average of ratios (KPI.md). The slice
 * query's `SliceTotals` (api/queries/slices.ts) has this shape.
 */
export interface KpiTotals extends StateTime {
  readonly produced: number
  readonly rejected: number
  /** Σ produced × ideal cycle time, seconds. */
  readonly idealProducedS: number
  /** Σ rejected × ideal cycle time, seconds. */
  readonly idealRejectedS: number
  readonly kwh: number
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** The keys of {@link KpiTotals}, each summed when totals are added. */
export const TOTALS_KEYS = [
  'running',
  'microStops',
  'down',
  'idle',
  'setup',
  'plannedStop',
  'offline',
  'failures',
  'produced',
  'rejected',
  'idealProducedS',
  'idealRejectedS',
  'kwh',
] as const satisfies ReadonlyArray<keyof KpiTotals>

/** Totals of a machine that did nothing at all (not even send a state). */
export const ZERO_TOTALS: KpiTotals = Object.freeze(emptyTotals())

/** A fresh, mutable all-zero totals object to add into. */
export function emptyTotals(): Mutable<KpiTotals> {
  return { running: 0, microStops: 0, down: 0, idle: 0, setup: 0, plannedStop: 0, offline: 0, failures: 0, produced: 0, rejected: 0, idealProducedS: 0, idealRejectedS: 0, kwh: 0 }
}

/** Adds `b` into `into` (mutated and returned): the one way totals combine. */
export function addTotals(into: Mutable<KpiTotals>, b: KpiTotals): Mutable<KpiTotals> {
  for (const k of TOTALS_KEYS) into[k] += b[k]
  return into
}

/** Σ of a list of totals: machines, lines, buckets or slices alike. */
export function sumTotals(list: Iterable<KpiTotals>): KpiTotals {
  const out = emptyTotals()
  for (const t of list) addTotals(out, t)
  return out
}

/** Kinds of calendar time outside the production segments: none of it is planned busy time. */
export const OUTSIDE_KINDS = ['break', 'holiday', 'planned_downtime', 'no_shift'] as const
export type OutsideKind = (typeof OUTSIDE_KINDS)[number]

/**
 * A machine's totals split by the calendar: inside production segments (where PBT comes from)
 * and in each kind of time outside them (reported beside the OEE, never in it).
 */
export interface PlanTotals {
  readonly production: KpiTotals
  readonly outside: Readonly<Record<OutsideKind, KpiTotals>>
}

type MutablePlan = { production: Mutable<KpiTotals>; outside: Record<OutsideKind, Mutable<KpiTotals>> }

/** A fresh, mutable all-zero {@link PlanTotals}. */
export function emptyPlanTotals(): MutablePlan {
  return { production: emptyTotals(), outside: { break: emptyTotals(), holiday: emptyTotals(), planned_downtime: emptyTotals(), no_shift: emptyTotals() } }
}

/** Adds `b` into `into` (mutated and returned), part by part. */
export function addPlanTotals(into: MutablePlan, b: PlanTotals): MutablePlan {
  addTotals(into.production, b.production)
  for (const k of OUTSIDE_KINDS) addTotals(into.outside[k], b.outside[k])
  return into
}

/** Σ of a list of {@link PlanTotals}. */
export function sumPlanTotals(list: Iterable<PlanTotals>): PlanTotals {
  const out = emptyPlanTotals()
  for (const t of list) addPlanTotals(out, t)
  return out
}

/**
 * Totals in flat form, for adding up many of them: {@link TOTALS_FIELDS} numbers in the order of
 * {@link TOTALS_KEYS}; a {@link PlanTotals} is {@link PLAN_PARTS} of them side by side
 * ({@link PLAN_WIDTH} numbers), and a list of buckets is PLAN_WIDTH numbers per bucket in one
 * Float64Array (a factory over 90 days adds up in typed arrays several times faster than in objects).
 */
export const TOTALS_FIELDS = TOTALS_KEYS.length
/** The parts of a {@link PlanTotals} in flat form: production, then each kind outside it. */
export const PLAN_PARTS = ['production', ...OUTSIDE_KINDS] as const
export const PLAN_WIDTH = PLAN_PARTS.length * TOTALS_FIELDS
/** Index of each field in the flat form. */
export const FIELD: Readonly<Record<keyof KpiTotals, number>> = Object.fromEntries(TOTALS_KEYS.map((k, i) => [k, i])) as Record<keyof KpiTotals, number>

/** The totals at `at` of a flat array, as an object. */
export function totalsAt(a: Float64Array, at: number): KpiTotals {
  const t = emptyTotals()
  for (let f = 0; f < TOTALS_FIELDS; f++) t[TOTALS_KEYS[f] as keyof KpiTotals] = a[at + f] as number
  return t
}

/** Bucket `bucket` of a flat list of plan totals, as a {@link PlanTotals}. */
export function planAt(a: Float64Array, bucket = 0): PlanTotals {
  const at = bucket * PLAN_WIDTH
  const outside = {} as Record<OutsideKind, KpiTotals>
  for (let k = 0; k < OUTSIDE_KINDS.length; k++) outside[OUTSIDE_KINDS[k] as OutsideKind] = totalsAt(a, at + (k + 1) * TOTALS_FIELDS)
  return { production: totalsAt(a, at), outside }
}

/** A list of plan totals in flat form (the inverse of {@link planAt}). */
export function planGrid(list: readonly PlanTotals[]): Float64Array {
  const a = new Float64Array(list.length * PLAN_WIDTH)
  list.forEach((p, b) => {
    PLAN_PARTS.forEach((part, k) => {
      const t = part === 'production' ? p.production : p.outside[part]
      for (let f = 0; f < TOTALS_FIELDS; f++) a[b * PLAN_WIDTH + k * TOTALS_FIELDS + f] = t[TOTALS_KEYS[f] as keyof KpiTotals]
    })
  })
  return a
}

/** Σ over the buckets of a flat list of plan totals: one bucket's worth (PLAN_WIDTH numbers). */
export function planSum(a: Float64Array): Float64Array {
  const out = new Float64Array(PLAN_WIDTH)
  for (let at = 0; at < a.length; at += PLAN_WIDTH) for (let f = 0; f < PLAN_WIDTH; f++) out[f] = (out[f] as number) + (a[at + f] as number)
  return out
}

/** into[i] += from[i] for every i of `from` (same length or shorter). */
export function addGrid(into: Float64Array, from: Float64Array): void {
  for (let i = 0; i < from.length; i++) into[i] = (into[i] as number) + (from[i] as number)
}
