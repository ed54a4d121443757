import { computeOee, type OeeResult } from './oee.ts'
import type { StateTime } from './state-time.ts'
import { OUTSIDE_KINDS, sumTotals, type KpiTotals, type OutsideKind, type PlanTotals } from './totals.ts'
import { lossWaterfall, type LossWaterfall } from './waterfall.ts'

/** Seconds per state, as the machine reported them (the state keys of {@link StateTime}). */
export type StateSeconds = Readonly<Record<Exclude<keyof StateTime, 'failures'>, number>>

/** What happened in calendar time outside the production segments: not in PBT, not in the OEE. */
export interface OutsidePlan {
  /** Machine time in each kind of time outside production segments, seconds. */
  readonly seconds: Readonly<Record<OutsideKind, number>>
  /** The machine's states in all of it, seconds. */
  readonly states: StateSeconds
  /** Units made then: they count in no OEE (flagged `units_outside_planned_time`). */
  readonly counts: { readonly produced: number; readonly good: number; readonly rejected: number }
  readonly kwh: number
}

/** Every figure of the KPI engine for one machine, line, area or factory and one period. */
export interface KpiFigures extends Omit<OeeResult, 'seconds'> {
  readonly seconds: OeeResult['seconds'] & {
    /** Ideal time of the rejected units, seconds. */
    readonly idealRejected: number
    /** Production-segment time the machine was observed in: PBT + planned stops + offline. */
    readonly plannedOperation: number
  }
  readonly waterfall: LossWaterfall
  /** Mean time between failures: APT / failures, seconds; null without failures. */
  readonly mtbfS: number | null
  /** Mean time to repair: failure (DOWN ≥ threshold) time / failures, seconds; null without failures. */
  readonly mttrS: number | null
  /** Units per hour of planned busy time; null without PBT. */
  readonly throughput: { readonly producedPerHour: number | null; readonly goodPerHour: number | null }
  /** Rejected / produced; null when nothing was produced. */
  readonly scrapRatio: number | null
  /** kWh in production time, and per good unit made then. */
  readonly energy: { readonly kwh: number; readonly kwhPerGoodUnit: number | null }
  readonly outsidePlan: OutsidePlan
}

/**
 * Flags a figure can carry (stable strings for clients):
 * - `performance_above_100`: ideal time of the units exceeds APT: the ideal cycle time is set too slow;
 * - `speed_loss_negative`: the machine ran faster than its ideal cycle time (speed loss < 0);
 * - `no_planned_time`: no planned busy time, nothing to judge (ratios null);
 * - `offline_in_planned_time`: no data from the machine during part of the production time;
 * - `units_outside_planned_time`: units were made outside production segments (not in the OEE);
 * - `calendar_defaulted`: the factory is not in the seed; its calendar and timezone are defaults;
 * - `incomplete`: the period reaches past now.
 */
export type KpiFlag =
  | 'performance_above_100'
  | 'speed_loss_negative'
  | 'no_planned_time'
  | 'offline_in_planned_time'
  | 'units_outside_planned_time'
  | 'calendar_defaulted'
  | 'incomplete'

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)

function stateSeconds(t: KpiTotals): StateSeconds {
  const s = (ms: number): number => ms / 1000
  return { running: s(t.running), microStops: s(t.microStops), down: s(t.down), idle: s(t.idle), setup: s(t.setup), plannedStop: s(t.plannedStop), offline: s(t.offline) }
}

const observedMs = (t: KpiTotals): number => t.running + t.microStops + t.down + t.idle + t.setup + t.plannedStop + t.offline

/**
 * All figures from a sum of totals (KPI.md): computeOee's A, P, Q and OEE on the production part,
 * the loss waterfall, MTBF and MTTR, throughput, scrap ratio, energy, and what happened outside
 * production time. `extraFlags` are added (the caller knows about calendars and now).
 */
export function computeKpi(plan: PlanTotals, extraFlags: readonly KpiFlag[] = []): KpiFigures {
  const p = plan.production
  const good = p.produced - p.rejected
  const base = computeOee(p, { produced: p.produced, rejected: p.rejected, idealProducedS: p.idealProducedS, idealGoodS: p.idealProducedS - p.idealRejectedS })
  const waterfall = lossWaterfall(p)
  const outside = sumTotals(OUTSIDE_KINDS.map((k) => plan.outside[k]))
  const flags = new Set<string>(base.flags)
  if (waterfall.speed < 0) flags.add('speed_loss_negative')
  if (p.offline > 0) flags.add('offline_in_planned_time')
  if (outside.produced > 0) flags.add('units_outside_planned_time')
  for (const f of extraFlags) flags.add(f)
  const pbtH = base.seconds.plannedBusy / 3600
  const outsideSeconds = {} as Record<OutsideKind, number>
  for (const k of OUTSIDE_KINDS) outsideSeconds[k] = observedMs(plan.outside[k]) / 1000
  return {
    ...base,
    seconds: { ...base.seconds, idealRejected: p.idealRejectedS, plannedOperation: observedMs(p) / 1000 },
    waterfall,
    mtbfS: p.failures > 0 ? base.seconds.actualProduction / p.failures : null,
    mttrS: p.failures > 0 ? base.seconds.down / p.failures : null,
    throughput: { producedPerHour: ratio(p.produced, pbtH), goodPerHour: ratio(good, pbtH) },
    scrapRatio: ratio(p.rejected, p.produced),
    energy: { kwh: p.kwh, kwhPerGoodUnit: ratio(p.kwh, good) },
    outsidePlan: {
      seconds: outsideSeconds,
      states: stateSeconds(outside),
      counts: { produced: outside.produced, good: outside.produced - outside.rejected, rejected: outside.rejected },
      kwh: outside.kwh,
    },
    flags: [...flags],
  }
}
