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

/**
 * The totals a line is judged by (KPI.md): its end-of-line machine's time and counts, with the
 * units valued at the line's ideal cycle time instead of the machine's own. Energy is the line's
 * (`lineKwh`, all its machines), not the end-of-line machine's alone.
 */
export function judgeLine(endOfLine: KpiTotals, lineIdealCycleS: number, lineKwh: number): KpiTotals {
  return {
    ...endOfLine,
    idealProducedS: endOfLine.produced * lineIdealCycleS,
    idealRejectedS: endOfLine.rejected * lineIdealCycleS,
    kwh: lineKwh,
  }
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

/** {@link judgeLine} applied to every part of a line's end-of-line {@link PlanTotals}; `lineKwh` likewise by part. */
export function judgeLinePlan(endOfLine: PlanTotals, lineIdealCycleS: number, lineKwh: PlanTotals): PlanTotals {
  const outside = {} as Record<OutsideKind, KpiTotals>
  for (const k of OUTSIDE_KINDS) outside[k] = judgeLine(endOfLine.outside[k], lineIdealCycleS, lineKwh.outside[k].kwh)
  return { production: judgeLine(endOfLine.production, lineIdealCycleS, lineKwh.production.kwh), outside }
}
