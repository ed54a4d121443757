import type { Scenario, SimState } from './scenario.ts'

/** What really happened on a simulated machine in a window, computed from the scenario itself. */
export interface MachineTruth {
  readonly machine: string
  /** Milliseconds in each state within the window. */
  readonly ms: Readonly<Record<SimState, number>>
  /** DOWN time in stops shorter than the micro-stop threshold (counted as production time). */
  readonly microStopMs: number
  readonly produced: number
  readonly rejected: number
  readonly good: number
  /** Ideal cycle time used for the window's performance, seconds. */
  readonly idealCycleS: number
  readonly kwh: number
  readonly plannedBusyMs: number
  readonly availability: number | null
  readonly performance: number | null
  readonly quality: number | null
  readonly oee: number | null
}

export interface TruthOptions {
  /** DOWN intervals shorter than this are micro-stops. Default 120 s (KPI.md). */
  readonly microStopS?: number
  /** Ideal cycle time to judge output by (a line's), seconds. Default: the machine's own. */
  readonly idealCycleS?: number
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)

/**
 * Ground truth for [from, to): seconds per state from the segments (a stop is classed as a
 * micro-stop by its whole length, not the part inside the window), units by completion time,
 * kWh by integrating the load.
 */
export function machineTruth(sc: Scenario, machineId: string, from: number, to: number, opts: TruthOptions = {}): MachineTruth {
  const spec = sc.spec(machineId)
  const microMs = (opts.microStopS ?? 120) * 1000
  const idealCycleS = opts.idealCycleS ?? spec.idealCycleS * sc.timeScale
  const ms: Record<SimState, number> = { RUNNING: 0, IDLE: 0, DOWN: 0, SETUP: 0, PLANNED_STOP: 0 }
  let microStopMs = 0
  let produced = 0
  let rejected = 0
  for (const seg of sc.segments(machineId, from, to)) {
    const overlap = Math.min(seg.end, to) - Math.max(seg.start, from)
    ms[seg.state] += overlap
    if (seg.state === 'DOWN' && seg.end - seg.start < microMs) microStopMs += overlap
    for (const u of sc.unitsOf(machineId, seg)) {
      if (u.t >= from && u.t < to) {
        produced++
        if (u.rejected) rejected++
      }
    }
  }
  const kwh = sc.kwhAt(machineId, to) - sc.kwhAt(machineId, from)
  const good = produced - rejected
  const apt = ms.RUNNING + microStopMs
  const plannedBusyMs = ms.RUNNING + ms.DOWN + ms.IDLE + ms.SETUP
  return {
    machine: machineId,
    ms,
    microStopMs,
    produced,
    rejected,
    good,
    idealCycleS,
    kwh,
    plannedBusyMs,
    availability: ratio(apt, plannedBusyMs),
    performance: ratio(idealCycleS * 1000 * produced, apt),
    quality: ratio(good, produced),
    oee: ratio(idealCycleS * 1000 * good, plannedBusyMs),
  }
}
