import type { SimPlanKind, SimPlanSegment } from './plan.ts'
import type { SimMachineSpec, SimState } from './scenario.ts'

/** One kind of interruption of running, drawn at random after a run. Durations in seconds. */
export interface DayStop {
  readonly state: Exclude<SimState, 'RUNNING'>
  /** Relative weight among the machine's stops. */
  readonly weight: number
  readonly durS: readonly [number, number]
  readonly reasons: readonly string[]
}

/** How a machine behaves over a day of shifts. Durations in seconds. */
export interface DayBehaviour {
  /** Mean length of a run between two stops (exponential, clipped to [60 s, 4 × mean]). */
  readonly meanRunS: number
  readonly stops: readonly DayStop[]
  /** Probability of a product changeover (SETUP) when a shift starts, its length and the reason the PLC reports. */
  readonly shiftStartChangeover: { readonly p: number; readonly durS: readonly [number, number]; readonly reason: string }
  /** The crew stops the machine this long before a break or planned downtime (PLANNED_STOP inside production: planned down time). */
  readonly stopBeforeBreakS: readonly [number, number]
  /** A machine running when a break or planned downtime begins keeps running this long into it (a reflow oven empties its conveyor): time and units outside production. */
  readonly runIntoBreakS: readonly [number, number]
}

/** A stop forced at a given time, e.g. a failure across a shift change that a test relies on. */
export interface SimIncident {
  /** Machine id (path segment). */
  readonly machine: string
  /** Epoch ms; must fall in production time. */
  readonly at: number
  readonly durS: number
  readonly state: Exclude<SimState, 'RUNNING'>
  readonly reason: string
}

/** Behaviour of a machine whose spec names none: an SMT machine of average reliability. */
export const DEFAULT_DAY_BEHAVIOUR: DayBehaviour = {
  meanRunS: 25 * 60,
  stops: [
    { state: 'DOWN', weight: 0.45, durS: [10, 100], reasons: ['PICKUP_ERROR', 'BOARD_JAM', 'SENSOR_TRIP'] },
    { state: 'DOWN', weight: 0.2, durS: [180, 1800], reasons: ['JAM', 'VISION_FAULT', 'CONVEYOR_FAULT'] },
    { state: 'IDLE', weight: 0.2, durS: [120, 900], reasons: ['NO_MATERIAL', 'WAIT_UPSTREAM'] },
    { state: 'SETUP', weight: 0.1, durS: [900, 2400], reasons: ['CHANGEOVER'] },
    { state: 'PLANNED_STOP', weight: 0.05, durS: [600, 1200], reasons: ['MEETING', 'CLEANING'] },
  ],
  shiftStartChangeover: { p: 0.4, durS: [600, 1800], reason: 'CHANGEOVER' },
  stopBeforeBreakS: [0, 180],
  runIntoBreakS: [0, 0],
}

/** A state segment before the scenario adds cumulative counts and energy. */
export interface RawSegment {
  readonly start: number
  readonly end: number
  readonly state: SimState
  readonly reason: string | null
  readonly cycleMs: number
  readonly kw: number
}

const PLAN_STOP_REASON: Readonly<Record<Exclude<SimPlanKind, 'production'>, string>> = {
  break: 'BREAK',
  holiday: 'HOLIDAY',
  planned_downtime: 'PLANNED_MAINTENANCE',
}

/**
 * One machine's day, driven by the shift plan: production time is runs interrupted by stops drawn
 * from the machine's behaviour (micro-stops, failures, idle, changeovers, short planned stops),
 * changeovers when a shift starts, the forced incidents; breaks, holidays, planned downtime and
 * time outside the plan are PLANNED_STOP. Runs and stops flow across a shift change unbroken.
 * Covers [plan start, plan end) exactly, with no two adjacent segments alike.
 */
export function dayTimeline(
  spec: SimMachineSpec,
  plan: readonly SimPlanSegment[],
  rand: () => number,
  opts: { timeScale: number; incidents: readonly SimIncident[] },
): RawSegment[] {
  const b = spec.day ?? DEFAULT_DAY_BEHAVIOUR
  const between = (r: readonly [number, number]): number => r[0] + (r[1] - r[0]) * rand()
  const ms = (s: number): number => Math.max(1, Math.round(s * 1000))
  const msOrZero = (s: number): number => Math.max(0, Math.round(s * 1000))
  const out: RawSegment[] = []
  const push = (start: number, end: number, state: SimState, reason: string | null): void => {
    if (end <= start) return
    const cycleMs = state === 'RUNNING' ? Math.round(spec.idealCycleS * 1000 * opts.timeScale * between(spec.speedFactor)) : 0
    // ±10 % load variation per segment, so energy is not a step function of state alone.
    const kw = Math.round(spec.kw[state] * (0.9 + 0.2 * rand()) * 1000) / 1000
    out.push({ start, end, state, reason, cycleMs, kw })
  }
  const totalWeight = b.stops.reduce((a, s) => a + s.weight, 0)
  const drawStop = (): { state: Exclude<SimState, 'RUNNING'>; reason: string; durMs: number } => {
    let r = rand() * totalWeight
    let pick = b.stops[0] as DayStop
    for (const s of b.stops) {
      pick = s
      if ((r -= s.weight) < 0) break
    }
    return { state: pick.state, reason: pick.reasons[Math.floor(rand() * pick.reasons.length)] as string, durMs: ms(between(pick.durS)) }
  }
  const drawRun = (): number => ms(Math.min(4 * b.meanRunS, Math.max(60, -b.meanRunS * Math.log(1 - rand()))))

  let i = 0
  let prevShift: string | null = null
  let cursor = plan[0]?.start ?? 0
  while (i < plan.length) {
    const seg = plan[i] as SimPlanSegment
    if (seg.start > cursor) push(cursor, seg.start, 'PLANNED_STOP', 'NO_SHIFT')
    if (seg.kind !== 'production') {
      const last = out.at(-1)
      // The machine may still be running from the production before: it runs on into the break.
      const from = last && last.end > seg.start ? last.end : seg.start
      push(from, seg.end, 'PLANNED_STOP', PLAN_STOP_REASON[seg.kind])
      cursor = seg.end
      prevShift = seg.shift ? `${seg.shift.name}|${seg.shift.date}` : null
      i++
      continue
    }
    // A span of contiguous production segments, possibly of several shifts.
    const spanStart = seg.start
    const interrupts: Array<{ at: number; state: Exclude<SimState, 'RUNNING'>; reason: string; durMs: number }> = []
    let spanEnd = seg.start
    while (i < plan.length && (plan[i] as SimPlanSegment).kind === 'production' && (plan[i] as SimPlanSegment).start === spanEnd) {
      const p = plan[i] as SimPlanSegment
      const key = p.shift ? `${p.shift.name}|${p.shift.date}` : null
      if (key !== null && key !== prevShift && rand() < b.shiftStartChangeover.p) {
        interrupts.push({ at: p.start, state: 'SETUP', reason: b.shiftStartChangeover.reason, durMs: ms(between(b.shiftStartChangeover.durS)) })
      }
      prevShift = key
      spanEnd = p.end
      i++
    }
    for (const inc of opts.incidents) {
      if (inc.machine === spec.id && inc.at >= spanStart && inc.at < spanEnd) interrupts.push({ at: inc.at, state: inc.state, reason: inc.reason, durMs: ms(inc.durS) })
    }
    interrupts.sort((x, y) => x.at - y.at)
    const next = plan[i]
    const beforeBreak = next && next.kind !== 'production' && next.start === spanEnd
    // Production ends for this machine a little before a break (never before the span begins).
    const stopEarlyMs = beforeBreak ? msOrZero(between(b.stopBeforeBreakS)) : 0
    const until = Math.max(spanStart, spanEnd - stopEarlyMs)
    let t = spanStart
    let k = 0
    while (t < until) {
      while (k < interrupts.length && (interrupts[k] as (typeof interrupts)[number]).at < t) k++
      const due = interrupts[k]
      let runEnd = Math.min(t + drawRun(), until)
      if (due && due.at < runEnd) runEnd = due.at
      push(t, runEnd, 'RUNNING', null)
      t = runEnd
      if (t >= until) break
      const stop = due && due.at === t ? (k++, due) : drawStop()
      // A drawn stop ends where a forced one begins, so the forced one keeps its time.
      const following = interrupts[k]
      let stopEnd = Math.min(t + stop.durMs, until)
      if (following && following.at > t) stopEnd = Math.min(stopEnd, following.at)
      push(t, stopEnd, stop.state, stop.reason)
      t = stopEnd
    }
    if (until < spanEnd) push(until, spanEnd, 'PLANNED_STOP', PLAN_STOP_REASON[(next as SimPlanSegment).kind as Exclude<SimPlanKind, 'production'>])
    else if (beforeBreak && out.at(-1)?.state === 'RUNNING') {
      // Running when the break begins: it runs on into it (at most to the break's end).
      const last = out.pop() as RawSegment
      const end = Math.min(spanEnd + msOrZero(between(b.runIntoBreakS)), (next as SimPlanSegment).end)
      out.push({ ...last, end })
    }
    cursor = spanEnd
  }
  return mergeAlike(out)
}

/** Joins adjacent stops of the same state and reason (e.g. a stop before a break and the break). */
function mergeAlike(segs: readonly RawSegment[]): RawSegment[] {
  const out: RawSegment[] = []
  for (const s of segs) {
    const last = out.at(-1)
    if (last && last.end === s.start && last.state !== 'RUNNING' && last.state === s.state && last.reason === s.reason) {
      // Energy stays exact: the joined segment takes the time-weighted mean load.
      const kw = (last.kw * (last.end - last.start) + s.kw * (s.end - s.start)) / (s.end - last.start)
      out[out.length - 1] = { ...last, end: s.end, kw }
    } else out.push(s)
  }
  return out
}
