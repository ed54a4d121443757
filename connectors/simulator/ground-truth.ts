import { productionPieces, shiftsOf, type SimPlanSegment } from './plan.ts'
import type { Scenario, Segment, SimState } from './scenario.ts'

/**
 * DOWN time of one reason in a window: every stop (consecutive DOWN segments being one) counts
 * under the reason it opened with, the calendar does not cut it (a stop in a break is downtime too).
 */
export interface DowntimeTruth {
  readonly reason: string | null
  /** DOWN milliseconds of the reason's stops inside the window. */
  readonly ms: number
  readonly failureMs: number
  readonly microStopMs: number
  /** Stops at or above the micro-stop threshold that began in the window. */
  readonly failures: number
  /** Stops under the threshold that began in the window. */
  readonly microStops: number
}

/**
 * What really happened on a simulated machine in a window, computed from the scenario itself, by
 * the ISO 22400 time model of KPI.md: only the plan's production time is planned busy time
 * (PLANNED_STOP in it is planned down time); time and units outside it are reported apart.
 */
export interface MachineTruth {
  readonly machine: string
  readonly from: number
  readonly to: number
  /** Milliseconds in each state within the window's production time. */
  readonly ms: Readonly<Record<SimState, number>>
  /** Milliseconds in each state within the window outside production time (breaks, planned downtime, holidays, no shift). */
  readonly outsideMs: Readonly<Record<SimState, number>>
  /** DOWN time (production time) in stops shorter than the micro-stop threshold, by the stop's whole length: inside APT. */
  readonly microStopMs: number
  /** DOWN time (production time) in stops at or above the threshold: ADET. */
  readonly downMs: number
  /** Stops under the threshold that began in production time within the window. */
  readonly microStops: number
  /** Stops at or above the threshold that began in production time within the window. */
  readonly failures: number
  /** Units completed in production time. */
  readonly produced: number
  readonly rejected: number
  readonly good: number
  /** Units completed in the window outside production time (not in the OEE). */
  readonly outsideProduced: number
  readonly outsideRejected: number
  /** Ideal cycle time the output is judged at, seconds. */
  readonly idealCycleS: number
  /** PBT: production time less planned stops, ms. */
  readonly plannedBusyMs: number
  /** APT: running plus micro-stops, ms. */
  readonly actualProductionMs: number
  readonly availability: number | null
  readonly performance: number | null
  readonly quality: number | null
  readonly oee: number | null
  /** The loss waterfall in seconds: PBT less setup, failures, idle and micro-stops is net running time; less speed loss the ideal time of units made; less quality loss the fully productive time. */
  readonly waterfall: {
    readonly plannedBusyS: number
    readonly setupS: number
    readonly failureS: number
    readonly idleS: number
    readonly microStopS: number
    /** Running time less the ideal time of the units produced. */
    readonly speedS: number
    /** Ideal time of the rejected units. */
    readonly qualityS: number
    /** Ideal time of the good units. */
    readonly fullyProductiveS: number
  }
  /** DOWN time by the reason each stop opened with, in the whole window, longest first. */
  readonly downtime: readonly DowntimeTruth[]
  /** kWh used in the whole window (production time or not). */
  readonly kwh: number
  /** kWh used in the window's production time. */
  readonly productionKwh: number
  /** kWh per good unit: production-time kWh / good units made then; null without good units. */
  readonly kwhPerGoodUnit: number | null
  /** kWh of the whole window by the state the machine was in. */
  readonly kwhByState: Readonly<Record<SimState, number>>
  /** kWh of the window's production time by the state the machine was in. */
  readonly productionKwhByState: Readonly<Record<SimState, number>>
}

export interface TruthOptions {
  /** DOWN intervals shorter than this are micro-stops. Default 120 s (KPI.md). */
  readonly microStopS?: number
  /** Ideal cycle time to judge output by (a line's), seconds. Default: the machine's own. */
  readonly idealCycleS?: number
  /** The shift plan: only its production time is planned busy time. Default: the whole window is production time. */
  readonly plan?: readonly SimPlanSegment[]
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)
const zero = (): Record<SimState, number> => ({ RUNNING: 0, IDLE: 0, DOWN: 0, SETUP: 0, PLANNED_STOP: 0 })

/**
 * Ground truth for [from, to): state time from the segments split at the window and the plan's
 * production pieces (a DOWN stop, consecutive DOWN segments being one stop, is classed as a
 * micro-stop by its whole length, not the part inside the window), units by completion time,
 * kWh by integrating the load.
 */
export function machineTruth(sc: Scenario, machineId: string, from: number, to: number, opts: TruthOptions = {}): MachineTruth {
  const spec = sc.spec(machineId)
  const microMs = (opts.microStopS ?? 120) * 1000
  const idealCycleS = opts.idealCycleS ?? spec.idealCycleS * sc.timeScale
  const pieces = opts.plan ? productionPieces(opts.plan, from, to) : [{ start: from, end: to }]
  const inProduction = (t: number): boolean => pieces.some((p) => t >= p.start && t < p.end)
  const productionOverlap = (a: number, b: number): number => pieces.reduce((sum, p) => sum + Math.max(0, Math.min(b, p.end) - Math.max(a, p.start)), 0)

  const ms = zero()
  const outsideMs = zero()
  const kwhByState = zero()
  const productionKwhByState = zero()
  let microStopMs = 0
  let downMs = 0
  let microStops = 0
  let failures = 0
  let produced = 0
  let rejected = 0
  let outsideProduced = 0
  let outsideRejected = 0
  let productionKwh = 0
  const reasons = new Map<string | null, { reason: string | null; ms: number; failureMs: number; microStopMs: number; failures: number; microStops: number }>()

  const segs = sc.segments(machineId, from, to)
  // The whole stop each DOWN segment belongs to, for classing it by its whole length.
  const all = sc.segments(machineId, -Infinity, to + 1)
  const stopOf = downRuns(all, sc, machineId, to)
  for (const seg of segs) {
    const a = Math.max(seg.start, from)
    const b = Math.min(seg.end, to)
    const inProd = productionOverlap(a, b)
    ms[seg.state] += inProd
    outsideMs[seg.state] += b - a - inProd
    // The meter counts from the scenario's start, as kwhAt does.
    if (Number.isFinite(seg.start)) {
      kwhByState[seg.state] += (seg.kw * (b - a)) / 3_600_000
      productionKwh += (seg.kw * inProd) / 3_600_000
      productionKwhByState[seg.state] += (seg.kw * inProd) / 3_600_000
    }
    const began = seg.start >= from && seg.start < to && inProduction(seg.start)
    if (seg.state === 'DOWN') {
      const run = stopOf.get(seg.start) as DownRun
      const micro = run.end - run.start < microMs
      if (micro) microStopMs += inProd
      else downMs += inProd
      const opens = run.start === seg.start
      if (opens && began) {
        if (micro) microStops++
        else failures++
      }
      const r = reasons.get(run.reason) ?? { reason: run.reason, ms: 0, failureMs: 0, microStopMs: 0, failures: 0, microStops: 0 }
      r.ms += b - a
      if (micro) r.microStopMs += b - a
      else r.failureMs += b - a
      if (opens && seg.start >= from) {
        if (micro) r.microStops++
        else r.failures++
      }
      reasons.set(run.reason, r)
    }
    for (const u of sc.unitsOf(machineId, seg)) {
      if (u.t < from || u.t >= to) continue
      if (inProduction(u.t)) {
        produced++
        if (u.rejected) rejected++
      } else {
        outsideProduced++
        if (u.rejected) outsideRejected++
      }
    }
  }
  const good = produced - rejected
  const actualProductionMs = ms.RUNNING + microStopMs
  const plannedBusyMs = ms.RUNNING + ms.DOWN + ms.IDLE + ms.SETUP
  const idealMs = (n: number): number => idealCycleS * 1000 * n
  return {
    machine: machineId,
    from,
    to,
    ms,
    outsideMs,
    microStopMs,
    downMs,
    microStops,
    failures,
    produced,
    rejected,
    good,
    outsideProduced,
    outsideRejected,
    idealCycleS,
    plannedBusyMs,
    actualProductionMs,
    availability: ratio(actualProductionMs, plannedBusyMs),
    performance: ratio(idealMs(produced), actualProductionMs),
    quality: ratio(good, produced),
    oee: ratio(idealMs(good), plannedBusyMs),
    waterfall: {
      plannedBusyS: plannedBusyMs / 1000,
      setupS: ms.SETUP / 1000,
      failureS: downMs / 1000,
      idleS: ms.IDLE / 1000,
      microStopS: microStopMs / 1000,
      speedS: (ms.RUNNING - idealMs(produced)) / 1000,
      qualityS: idealMs(rejected) / 1000,
      fullyProductiveS: idealMs(good) / 1000,
    },
    downtime: [...reasons.values()].sort((x, y) => y.ms - x.ms || String(x.reason).localeCompare(String(y.reason))),
    kwh: sc.kwhAt(machineId, to) - sc.kwhAt(machineId, from),
    productionKwh,
    kwhPerGoodUnit: ratio(productionKwh, good),
    kwhByState,
    productionKwhByState,
  }
}

/** Mean time between failures and to repair, seconds, by KPI.md: operating time (APT) per failure, failure down time per failure. */
export function reliability(t: MachineTruth): { mtbfS: number | null; mttrS: number | null } {
  return { mtbfS: t.failures > 0 ? t.actualProductionMs / 1000 / t.failures : null, mttrS: t.failures > 0 ? t.downMs / 1000 / t.failures : null }
}

interface DownRun {
  readonly start: number
  end: number
  /** The reason of the segment that opened the stop. */
  readonly reason: string | null
}

/** Each DOWN segment's stop (its run of consecutive DOWN segments), keyed by the segment's start; a stop still open at `to` is taken to its end. */
function downRuns(segs: readonly Segment[], sc: Scenario, machineId: string, to: number): Map<number, DownRun> {
  const out = new Map<number, DownRun>()
  let run: DownRun | undefined
  let last: Segment | undefined
  for (const s of segs) {
    if (s.state === 'DOWN') {
      if (!run || !last || last.state !== 'DOWN' || last.end !== s.start) run = { start: s.start, end: s.end, reason: s.reason }
      else run.end = s.end
      out.set(s.start, run)
    }
    last = s
  }
  // The run open at the window's end goes on in the segments after it.
  if (last && last.state === 'DOWN' && run) {
    let t = last.end
    while (Number.isFinite(t) && t > to) {
      const s = sc.segmentAt(machineId, t)
      if (s.state !== 'DOWN' || s.start !== t) break
      run.end = s.end
      t = s.end
    }
  }
  return out
}

/** Ground truth of one machine for each shift of the plan and for the whole plan. */
export function dayTruth(
  sc: Scenario,
  machineId: string,
  plan: readonly SimPlanSegment[],
  opts: Omit<TruthOptions, 'plan'> = {},
): { shifts: Array<{ name: string; date: string; truth: MachineTruth }>; day: MachineTruth } {
  const start = (plan[0] as SimPlanSegment).start
  const end = (plan.at(-1) as SimPlanSegment).end
  return {
    shifts: shiftsOf(plan).map((s) => ({ name: s.name, date: s.date, truth: machineTruth(sc, machineId, s.start, s.end, { ...opts, plan }) })),
    day: machineTruth(sc, machineId, start, end, { ...opts, plan }),
  }
}
