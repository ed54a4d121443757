import { addPlanTotals, emptyPlanTotals, judgeLinePlan, sumPlanTotals, type PlanTotals } from './totals.ts'

/** A machine's place in the plant, as the registry knows it. */
export interface MachinePlace {
  /** Machine path `region/park/factory/area/line/machine`. */
  readonly machine: string
  /** Flow position in its line, 0 first. */
  readonly position: number
  readonly endOfLine: boolean
  /** The line's ideal cycle time (its bottleneck's), seconds. */
  readonly lineIdealCycleS: number
}

/** How a line is judged: by this machine's good output at this ideal cycle time. */
export interface LineJudge {
  readonly machine: string
  readonly idealCycleS: number
}

/** A line's judged totals (per bucket), with who judged it. */
export interface LineRollup extends LineJudge {
  readonly totals: readonly PlanTotals[]
}

/** Totals per bucket at every level above the machines. */
export interface Rollup {
  /** By line path (5 segments): the end-of-line machine's time and units at the line's ideal cycle time, the line's energy. */
  readonly lines: ReadonlyMap<string, LineRollup>
  /** By area path (4 segments): Σ of its lines' judged totals. */
  readonly areas: ReadonlyMap<string, readonly PlanTotals[]>
  /** By factory path (3 segments): Σ of its lines' judged totals. */
  readonly factories: ReadonlyMap<string, readonly PlanTotals[]>
}

const prefix = (path: string, segments: number): string => path.split('/').slice(0, segments).join('/')

/**
 * The machine a line is judged by: the one flagged end-of-line, else the last in flow order.
 * `machines` are one line's.
 */
export function lineJudge(machines: readonly MachinePlace[]): LineJudge {
  if (machines.length === 0) throw new Error('lineJudge needs the line\'s machines')
  const eol = machines.find((m) => m.endOfLine) ?? [...machines].sort((a, b) => a.position - b.position || (a.machine < b.machine ? -1 : 1)).at(-1)
  const m = eol as MachinePlace
  return { machine: m.machine, idealCycleS: m.lineIdealCycleS }
}

/**
 * Rolls machine totals (one {@link PlanTotals} per bucket, `buckets` of them) up to lines, areas
 * and factories, only by adding seconds, counts and ideal times (KPI.md): a line is its
 * end-of-line machine judged at the line's ideal cycle time (with all its machines' energy); an
 * area and a factory are the sums of their lines' judged totals, so their OEE is
 * Σ ideal good time of the lines / Σ PBT of the lines' judging machines.
 */
export function rollUp(machines: readonly MachinePlace[], perMachine: ReadonlyMap<string, readonly PlanTotals[]>, buckets: number): Rollup {
  const byLine = new Map<string, MachinePlace[]>()
  for (const m of machines) {
    const line = prefix(m.machine, 5)
    const list = byLine.get(line)
    if (list) list.push(m)
    else byLine.set(line, [m])
  }
  const at = (machine: string, b: number): PlanTotals => {
    const t = perMachine.get(machine)?.[b]
    if (!t) throw new Error(`rollUp: no totals for machine "${machine}" bucket ${b}`)
    return t
  }
  const lines = new Map<string, LineRollup>()
  const areas = new Map<string, ReturnType<typeof emptyPlanTotals>[]>()
  const factories = new Map<string, ReturnType<typeof emptyPlanTotals>[]>()
  const into = (map: typeof areas, key: string): ReturnType<typeof emptyPlanTotals>[] => {
    let list = map.get(key)
    if (!list) map.set(key, (list = Array.from({ length: buckets }, emptyPlanTotals)))
    return list
  }
  for (const [line, list] of byLine) {
    const judge = lineJudge(list)
    const totals: PlanTotals[] = []
    for (let b = 0; b < buckets; b++) {
      const energy = sumPlanTotals(list.map((m) => at(m.machine, b)))
      totals.push(judgeLinePlan(at(judge.machine, b), judge.idealCycleS, energy))
    }
    lines.set(line, { ...judge, totals })
    const area = into(areas, prefix(line, 4))
    const factory = into(factories, prefix(line, 3))
    for (let b = 0; b < buckets; b++) {
      addPlanTotals(area[b] as ReturnType<typeof emptyPlanTotals>, totals[b] as PlanTotals)
      addPlanTotals(factory[b] as ReturnType<typeof emptyPlanTotals>, totals[b] as PlanTotals)
    }
  }
  return { lines, areas, factories }
}
