import { dayTimeline, type DayBehaviour, type RawSegment, type SimIncident } from './day-timeline.ts'
import { checkPlan, type SimPlanSegment } from './plan.ts'
import { hash32, prng, unit } from './random.ts'

export type SimState = 'RUNNING' | 'IDLE' | 'DOWN' | 'SETUP' | 'PLANNED_STOP'

/** A machine of the simulated line. Times are seconds at time scale 1. */
export interface SimMachineSpec {
  /** Path segment of the machine, e.g. `printer`. */
  readonly id: string
  readonly name: string
  /** Ideal cycle time, seconds per unit. */
  readonly idealCycleS: number
  /** Actual cycle = ideal × a factor drawn per running segment from this range (speed loss). */
  readonly speedFactor: readonly [number, number]
  /** Probability that a unit is rejected. */
  readonly rejectRate: number
  /** Mean electrical load per state, kW. */
  readonly kw: Readonly<Record<SimState, number>>
  /** How it behaves over a day of shifts ({@link Scenario.day}). Default: DEFAULT_DAY_BEHAVIOUR. */
  readonly day?: DayBehaviour
}

export interface Segment {
  readonly start: number
  /** Exclusive; `Infinity` for the open-ended segment after a finite scenario. */
  readonly end: number
  readonly state: SimState
  readonly reason: string | null
  /** Actual cycle time in ms while RUNNING, else 0. */
  readonly cycleMs: number
  readonly kw: number
  /** Cumulative counts and energy at the segment's start. */
  readonly producedBefore: number
  readonly rejectedBefore: number
  readonly kwhBefore: number
  /** Index of the first unit this segment makes (units are numbered per machine). */
  readonly firstUnit: number
}

export interface ScenarioOptions {
  readonly seed: number
  /** When the scenario begins, epoch ms. Before it, every machine shows PLANNED_STOP (NOT_STARTED). */
  readonly startMs: number
  /** Length of the scenario, ms; after it every machine stays in PLANNED_STOP (END_OF_SCENARIO). Default: endless. */
  readonly durationMs?: number
  /** Multiplies every state duration and cycle time: 1 for tests (seconds), larger for a demo one can watch. Default 1. */
  readonly timeScale?: number
}

export interface DayScenarioOptions {
  readonly seed: number
  /**
   * The shift plan, sorted (the API calendar's segments for the day). The scenario begins at the
   * first segment's start and ends with the last one's end; before and after, every machine shows
   * PLANNED_STOP (NOT_STARTED, END_OF_SCENARIO).
   */
  readonly plan: readonly SimPlanSegment[]
  /** Stops forced at given times, on top of the drawn ones. Default none. */
  readonly incidents?: readonly SimIncident[]
  /** Multiplies cycle times (the plan's times stay as they are). Default 1. */
  readonly timeScale?: number
}

// Durations in seconds at time scale 1, and the reasons a PLC would report.
const NEXT_AFTER_RUNNING: ReadonlyArray<{ state: SimState; p: number; dur: [number, number]; reasons: string[] }> = [
  { state: 'DOWN', p: 0.45, dur: [1.5, 7], reasons: ['JAM', 'NOZZLE_CLOG', 'FEEDER_EMPTY', 'VISION_FAULT'] },
  { state: 'IDLE', p: 0.3, dur: [2, 5], reasons: ['NO_MATERIAL', 'WAIT_UPSTREAM'] },
  { state: 'SETUP', p: 0.15, dur: [3, 6], reasons: ['CHANGEOVER'] },
  { state: 'PLANNED_STOP', p: 0.1, dur: [2, 4], reasons: ['BREAK'] },
]
const RUNNING_S: [number, number] = [4, 10]

/**
 * A seeded, deterministic timeline per machine: states with reasons, units made and rejected,
 * and energy. Everything is a function of time, so servers show it live and the ground truth of
 * any window is computed from the same segments.
 */
export class Scenario {
  readonly startMs: number
  readonly endMs: number
  readonly seed: number
  readonly timeScale: number
  readonly machines: readonly SimMachineSpec[]
  readonly #segments = new Map<string, Segment[]>()
  readonly #rand = new Map<string, () => number>()

  /**
   * A day that follows a shift plan: shifts with runs, micro-stops, failures, idle time and
   * changeovers, breaks and planned downtime as PLANNED_STOP (see `dayTimeline`). Deterministic
   * from the seed: the same seed and plan give the same day.
   */
  static day(machines: readonly SimMachineSpec[], opts: DayScenarioOptions): Scenario {
    checkPlan(opts.plan)
    for (const inc of opts.incidents ?? []) {
      if (!machines.some((m) => m.id === inc.machine)) throw new Error(`simulated day: incident for unknown machine "${inc.machine}"`)
    }
    const start = (opts.plan[0] as SimPlanSegment).start
    const end = (opts.plan.at(-1) as SimPlanSegment).end
    const timeScale = opts.timeScale ?? 1
    const timelines = new Map(
      machines.map((m) => [m.id, dayTimeline(m, opts.plan, prng(hash32(`${opts.seed}|${m.id}|day`)), { timeScale, incidents: opts.incidents ?? [] })]),
    )
    return new Scenario(machines, { seed: opts.seed, startMs: start, durationMs: end - start, timeScale }, timelines)
  }

  /** `timelines`: each machine's whole scenario, prepared (by {@link Scenario.day}); default: drawn as time goes on. */
  constructor(machines: readonly SimMachineSpec[], opts: ScenarioOptions, timelines?: ReadonlyMap<string, readonly RawSegment[]>) {
    this.machines = machines
    this.seed = opts.seed
    this.startMs = Math.round(opts.startMs)
    this.endMs = opts.durationMs === undefined ? Infinity : this.startMs + Math.round(opts.durationMs)
    this.timeScale = opts.timeScale ?? 1
    for (const m of machines) {
      const pre: Segment = {
        start: -Infinity,
        end: this.startMs,
        state: 'PLANNED_STOP',
        reason: 'NOT_STARTED',
        cycleMs: 0,
        kw: m.kw.PLANNED_STOP,
        producedBefore: 0,
        rejectedBefore: 0,
        kwhBefore: 0,
        firstUnit: 0,
      }
      this.#segments.set(m.id, [pre])
      this.#rand.set(m.id, prng(hash32(`${opts.seed}|${m.id}`)))
      const timeline = timelines?.get(m.id)
      if (timeline) {
        for (const raw of timeline) this.#append(m.id, raw)
        this.#append(m.id, { start: this.endMs, end: Infinity, state: 'PLANNED_STOP', reason: 'END_OF_SCENARIO', cycleMs: 0, kw: m.kw.PLANNED_STOP })
      }
    }
  }

  spec(machineId: string): SimMachineSpec {
    const m = this.machines.find((x) => x.id === machineId)
    if (!m) throw new Error(`no machine "${machineId}" in the scenario`)
    return m
  }

  /** Segments of a machine overlapping [from, to), generated as far as needed. */
  segments(machineId: string, from: number, to: number): Segment[] {
    const segs = this.#extend(machineId, to)
    return segs.filter((s) => s.end > from && s.start < to)
  }

  segmentAt(machineId: string, t: number): Segment {
    const segs = this.#extend(machineId, t + 1)
    for (let i = segs.length - 1; i >= 0; i--) {
      const s = segs[i] as Segment
      if (s.start <= t) return s
    }
    return segs[0] as Segment
  }

  /** Completion times of the units a segment makes, with their rejection flag. */
  unitsOf(machineId: string, seg: Segment): Array<{ t: number; rejected: boolean }> {
    if (seg.state !== 'RUNNING' || seg.cycleMs <= 0) return []
    const out: Array<{ t: number; rejected: boolean }> = []
    const rate = this.spec(machineId).rejectRate
    for (let k = 1; seg.start + k * seg.cycleMs < seg.end; k++) {
      out.push({ t: seg.start + k * seg.cycleMs, rejected: unit(this.seed, machineId, 'unit', seg.firstUnit + k - 1) < rate })
    }
    return out
  }

  /** Cumulative units produced and rejected up to and including time t. */
  countsAt(machineId: string, t: number): { produced: number; rejected: number } {
    const seg = this.segmentAt(machineId, t)
    let produced = seg.producedBefore
    let rejected = seg.rejectedBefore
    for (const u of this.unitsOf(machineId, seg)) {
      if (u.t > t) break
      produced++
      if (u.rejected) rejected++
    }
    return { produced, rejected }
  }

  /** Cumulative kWh at time t (0 at the scenario's start). */
  kwhAt(machineId: string, t: number): number {
    const seg = this.segmentAt(machineId, t)
    if (!Number.isFinite(seg.start)) return 0
    return seg.kwhBefore + (seg.kw * (t - seg.start)) / 3_600_000
  }

  /** Instantaneous load at time t, kW. */
  kwAt(machineId: string, t: number): number {
    return this.segmentAt(machineId, t).kw
  }

  #extend(machineId: string, until: number): Segment[] {
    const segs = this.#segments.get(machineId)
    if (!segs) throw new Error(`no machine "${machineId}" in the scenario`)
    const spec = this.spec(machineId)
    const rand = this.#rand.get(machineId) as () => number
    const between = (r: readonly [number, number]): number => r[0] + (r[1] - r[0]) * rand()
    const ms = (s: number): number => Math.max(1, Math.round(s * 1000 * this.timeScale))
    while ((segs.at(-1) as Segment).end <= until && Number.isFinite((segs.at(-1) as Segment).end)) {
      const last = segs.at(-1) as Segment
      const start = last.end
      if (start >= this.endMs) {
        this.#append(machineId, { start, end: Infinity, state: 'PLANNED_STOP', reason: 'END_OF_SCENARIO', cycleMs: 0, kw: spec.kw.PLANNED_STOP })
        break
      }
      let state: SimState
      let reason: string | null = null
      let durMs: number
      if (last.state !== 'RUNNING' || !Number.isFinite(last.start)) {
        state = 'RUNNING'
        durMs = ms(between(RUNNING_S))
      } else {
        let r = rand()
        let pick = NEXT_AFTER_RUNNING[0] as (typeof NEXT_AFTER_RUNNING)[number]
        for (const n of NEXT_AFTER_RUNNING) {
          pick = n
          if ((r -= n.p) < 0) break
        }
        state = pick.state
        reason = pick.reasons[Math.floor(rand() * pick.reasons.length)] as string
        durMs = ms(between(pick.dur))
      }
      const end = Math.min(start + durMs, this.endMs)
      const cycleMs = state === 'RUNNING' ? Math.round(spec.idealCycleS * 1000 * this.timeScale * between(spec.speedFactor)) : 0
      // ±10 % load variation per segment, so energy is not a step function of state alone.
      const kw = Math.round(spec.kw[state] * (0.9 + 0.2 * rand()) * 1000) / 1000
      this.#append(machineId, { start, end, state, reason, cycleMs, kw })
    }
    return segs
  }

  /** Adds the segment that follows the machine's last one, with the counts and energy before it. */
  #append(machineId: string, raw: RawSegment): void {
    const segs = this.#segments.get(machineId) as Segment[]
    const last = segs.at(-1) as Segment
    if (raw.start !== last.end) throw new Error(`scenario of "${machineId}": a segment starts at ${raw.start}, the one before ends at ${last.end}`)
    const units = this.unitsOf(machineId, last)
    segs.push({
      ...raw,
      producedBefore: last.producedBefore + units.length,
      rejectedBefore: last.rejectedBefore + units.filter((u) => u.rejected).length,
      kwhBefore: Number.isFinite(last.start) ? last.kwhBefore + (last.kw * (last.end - last.start)) / 3_600_000 : 0,
      firstUnit: last.firstUnit + units.length,
    })
  }
}
