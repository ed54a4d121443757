import { addGrid, FIELD, PLAN_WIDTH, TOTALS_FIELDS } from './totals.ts'

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

/** A line's judged totals (per bucket, in flat form: PLAN_WIDTH numbers a bucket, api/kpi/totals.ts), with who judged it. */
export interface LineRollup extends LineJudge {
  readonly totals: Float64Array
}

/** Totals per bucket at every level above the machines, each in flat form (see {@link LineRollup}). */
export interface Rollup {
  /** By line path (5 segments): the end-of-line machine's time and units at the line's ideal cycle time, the line's energy. */
  readonly lines: ReadonlyMap<string, LineRollup>
  /** By area path (4 segments): Σ of its lines' judged totals. */
  readonly areas: ReadonlyMap<string, Float64Array>
  /** By factory path (3 segments): Σ of its lines' judged totals. */
  readonly factories: ReadonlyMap<string, Float64Array>
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
 * Rolls machine totals (per machine, `buckets` plan totals in flat form: PLAN_WIDTH numbers a
 * bucket, api/kpi/totals.ts) up to lines, areas and factories, only by adding seconds, counts and
 * ideal times (KPI.md): a line is its end-of-line machine judged at the line's ideal cycle time
 * (its units valued at that cycle time, with all its machines' energy); an area and a
 * factory are the sums of their lines' judged totals, so their OEE is
 * Σ ideal good time of the lines / Σ PBT of the lines' judging machines.
 */
export function rollUp(machines: readonly MachinePlace[], perMachine: ReadonlyMap<string, Float64Array>, buckets: number): Rollup {
  const size = buckets * PLAN_WIDTH
  const byLine = new Map<string, MachinePlace[]>()
  for (const m of machines) {
    const line = prefix(m.machine, 5)
    const list = byLine.get(line)
    if (list) list.push(m)
    else byLine.set(line, [m])
  }
  const of = (machine: string): Float64Array => {
    const t = perMachine.get(machine)
    if (!t || t.length < size) throw new Error(`rollUp: no totals for machine "${machine}" bucket ${t ? Math.floor(t.length / PLAN_WIDTH) : 0}`)
    return t
  }
  const lines = new Map<string, LineRollup>()
  const areas = new Map<string, Float64Array>()
  const factories = new Map<string, Float64Array>()
  const into = (map: Map<string, Float64Array>, key: string): Float64Array => {
    let a = map.get(key)
    if (!a) map.set(key, (a = new Float64Array(size)))
    return a
  }
  for (const [line, list] of byLine) {
    const judge = lineJudge(list)
    const totals = of(judge.machine).slice(0, size)
    // The line's totals (KPI.md), part by part: its end-of-line machine's time and counts, the units
    // valued at the line's ideal cycle time instead of the machine's own, the energy of all its machines.
    for (let at = 0; at < size; at += TOTALS_FIELDS) {
      totals[at + FIELD.idealProducedS] = (totals[at + FIELD.produced] as number) * judge.idealCycleS
      totals[at + FIELD.idealRejectedS] = (totals[at + FIELD.rejected] as number) * judge.idealCycleS
      totals[at + FIELD.kwh] = 0
    }
    for (const m of list) {
      const t = of(m.machine)
      for (let at = FIELD.kwh; at < size; at += TOTALS_FIELDS) totals[at] = (totals[at] as number) + (t[at] as number)
    }
    lines.set(line, { ...judge, totals })
    addGrid(into(areas, prefix(line, 4)), totals)
    addGrid(into(factories, prefix(line, 3)), totals)
  }
  return { lines, areas, factories }
}
