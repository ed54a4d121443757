import type { StateTime } from './state-time.ts'

/** Units and their ideal time in a window. Ideal times are Σ(count × ideal cycle time), seconds. */
export interface CountTotals {
  readonly produced: number
  readonly rejected: number
  readonly idealProducedS: number
  readonly idealGoodS: number
}

export interface OeeResult {
  /** APT / PBT; null when there was no planned busy time. */
  readonly availability: number | null
  /** Ideal time of units produced / APT. Not capped: above 1 means the ideal cycle time is set too slow (flagged). */
  readonly performance: number | null
  /** Ideal time of good units / ideal time of units produced (= good / produced for one product). */
  readonly quality: number | null
  /** Ideal time of good units / PBT = A × P × Q. */
  readonly oee: number | null
  /** The ISO 22400 time model behind the ratios, in seconds. */
  readonly seconds: {
    readonly plannedBusy: number
    readonly actualProduction: number
    readonly running: number
    readonly microStops: number
    readonly setup: number
    readonly down: number
    readonly idle: number
    readonly plannedStop: number
    readonly offline: number
    readonly idealProduced: number
    readonly idealGood: number
  }
  readonly counts: { readonly produced: number; readonly good: number; readonly rejected: number }
  readonly failures: number
  /** `performance_above_100`: the ideal cycle time is slower than the machine really is. `no_planned_time`: nothing to judge. */
  readonly flags: readonly string[]
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)

/**
 * OEE as KPI.md defines it: PBT = running + micro-stops + setup + down + idle (planned stops and
 * OFFLINE excluded); APT = running + micro-stops; A = APT/PBT; P = ideal produced/APT;
 * Q = ideal good/ideal produced; OEE = ideal good/PBT. Sums of seconds, never averages.
 */
export function computeOee(time: StateTime, counts: CountTotals): OeeResult {
  const s = (ms: number): number => ms / 1000
  const apt = s(time.running + time.microStops)
  const pbt = s(time.running + time.microStops + time.setup + time.down + time.idle)
  const performance = ratio(counts.idealProducedS, apt)
  const flags: string[] = []
  if (performance !== null && performance > 1) flags.push('performance_above_100')
  if (pbt === 0) flags.push('no_planned_time')
  return {
    availability: ratio(apt, pbt),
    performance,
    quality: ratio(counts.idealGoodS, counts.idealProducedS),
    oee: ratio(counts.idealGoodS, pbt),
    seconds: {
      plannedBusy: pbt,
      actualProduction: apt,
      running: s(time.running),
      microStops: s(time.microStops),
      setup: s(time.setup),
      down: s(time.down),
      idle: s(time.idle),
      plannedStop: s(time.plannedStop),
      offline: s(time.offline),
      idealProduced: counts.idealProducedS,
      idealGood: counts.idealGoodS,
    },
    counts: { produced: counts.produced, good: counts.produced - counts.rejected, rejected: counts.rejected },
    failures: time.failures,
    flags,
  }
}

/** Adds state times, e.g. of several machines or periods; the ratios are then computed once from the sums. */
export function sumStateTime(list: readonly StateTime[]): StateTime {
  const z = { running: 0, microStops: 0, down: 0, idle: 0, setup: 0, plannedStop: 0, offline: 0, failures: 0 }
  for (const t of list) for (const k of Object.keys(z) as Array<keyof StateTime>) z[k] += t[k]
  return z
}
