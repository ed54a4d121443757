import type { FactorySim } from './factory.ts'
import { machineTruth, type MachineTruth } from './ground-truth.ts'
import { productionPieces, type SimPlanSegment } from './plan.ts'

/** What the simulated world of a factory was like from the pipeline's point of view: when it was first read and when it ended. */
export interface ObservedWorld {
  /** When the agent's first readings were taken (the servers' start on a paused clock), epoch ms: before it nothing was reported. */
  readonly observedFrom: number
  /** When the simulated world ended (its clock stopped), epoch ms: nothing changed and no meter read after it. */
  readonly endMs: number
}

/**
 * One factory's sums over a period, computed from its simulator's timeline alone (not from what
 * the pipeline stored): the figures an analyst's table adds up. Its line is judged by its
 * end-of-line machine at the line's ideal cycle time (its slowest machine's).
 */
export interface FactoryPeriodTruth {
  readonly factory: string
  /** PBT of the end-of-line machine in the plan's production time, seconds. */
  readonly plannedBusyS: number
  /** APT (running + micro-stops), seconds. */
  readonly actualProductionS: number
  /** Units produced in production time × the line's ideal cycle time, seconds. */
  readonly idealProducedS: number
  /** Good units made in production time × the line's ideal cycle time, seconds. */
  readonly idealGoodS: number
  /** Units the end-of-line machine completed in the period, in production time or not. */
  readonly produced: number
  readonly good: number
  /** Energy of all the line's machines as their meters booked it in the period (each reading at its own time: FactorySim.meteredKwh), kWh. */
  readonly kwh: number
  /** Production seconds of the plan in the period up to `now` (one line: one judged machine). */
  readonly expectedS: number
  /** Of those, the seconds from the first reading until the agent stopped: the machine reported a state throughout them. */
  readonly reportedS: number
  /** Whether the factory reported in the period: its machines' states were known for some of it (after the first reading, before the agent stopped and now). */
  readonly reported: boolean
  /** The line's truth in [from, to) (machineTruth of its end-of-line machine). */
  readonly line: MachineTruth
}

const sum = (xs: Iterable<number>): number => {
  let s = 0
  for (const x of xs) s += x
  return s
}

/**
 * One factory's truth for [from, to) (e.g. a calendar month on its clock): `plan` is its shift
 * plan over that span (the API calendar's segments; the simulated day's plan is a part of it),
 * `now` the moment time after which has not happened yet.
 */
export function factoryPeriodTruth(
  factory: string,
  sim: FactorySim,
  from: number,
  to: number,
  opts: {
    readonly plan: readonly SimPlanSegment[]
    readonly world: ObservedWorld
    /** Time after it has not happened yet. */
    readonly now: number
    /** When the agent stopped reading (its machines OFFLINE from then on). Default: never. */
    readonly offlineFrom?: number
  },
): FactoryPeriodTruth {
  const { plan, world } = opts
  const line = sim.lineTruth(from, to, { plan })
  const eol = line.machine
  const production = (a: number, b: number): number => sum(productionPieces(plan, a, b).map((p) => p.end - p.start)) / 1000
  const end = Math.min(to, opts.now)
  const expectedS = production(from, end)
  // The simulator reports a state at every moment from its first reading until the agent stops.
  const observed = Math.max(from, world.observedFrom)
  const seenUntil = Math.min(end, opts.offlineFrom ?? Infinity)
  const seen = observed < seenUntil ? machineTruth(sim.scenario, eol, observed, seenUntil, { plan }) : undefined
  const reportedS = seen ? (seen.plannedBusyMs + seen.ms.PLANNED_STOP) / 1000 : 0
  // The meters read nothing after the world's end.
  const kwh = sum(sim.machines.map((m) => sim.meteredKwh(m.id, Math.min(from, world.endMs), Math.min(to, world.endMs))))
  const produced = line.produced + line.outsideProduced
  return {
    factory,
    plannedBusyS: line.plannedBusyMs / 1000,
    actualProductionS: line.actualProductionMs / 1000,
    idealProducedS: line.idealCycleS * line.produced,
    idealGoodS: line.idealCycleS * line.good,
    produced,
    good: produced - line.rejected - line.outsideRejected,
    kwh,
    expectedS,
    reportedS,
    reported: observed < seenUntil,
    line,
  }
}
