import { describe, expect, it } from 'vitest'
import { computeKpi } from '../../api/kpi/figures.ts'
import { lineJudge, rollUp, type MachinePlace } from '../../api/kpi/rollup.ts'
import { emptyPlanTotals, emptyTotals, planAt, planGrid, type KpiTotals, type PlanTotals } from '../../api/kpi/totals.ts'

const min = 60_000
const plan = (t: Partial<KpiTotals>): PlanTotals => ({ ...emptyPlanTotals(), production: { ...emptyTotals(), ...t } })
/** Machines' totals per bucket, in the flat form rollUp takes. */
const grids = (entries: Array<[string, PlanTotals[]]>): Map<string, Float64Array> => new Map(entries.map(([m, list]) => [m, planGrid(list)]))
const place = (machine: string, position: number, endOfLine = false, lineIdealCycleS = 60): MachinePlace => ({ machine, position, endOfLine, lineIdealCycleS })

// KPI.md: machine A, PBT 480 min, fully productive 408 min (85 %); machine B, PBT 120 min,
// fully productive 48 min (40 %): together 456 / 600 = 76 %, not the mean 62.5 %.
const A = plan({ running: 480 * min, produced: 408, idealProducedS: 408 * 60, kwh: 40 })
const B = plan({ running: 120 * min, produced: 48, idealProducedS: 48 * 60, kwh: 10 })

describe('lineJudge', () => {
  it.each([
    { name: 'the machine flagged end-of-line', machines: [place('r/p/f/a/l/m1', 0), place('r/p/f/a/l/m2', 1, true), place('r/p/f/a/l/m3', 2)], want: 'r/p/f/a/l/m2' },
    { name: 'the last in flow order when none is flagged', machines: [place('r/p/f/a/l/m3', 2), place('r/p/f/a/l/m1', 0), place('r/p/f/a/l/m2', 1)], want: 'r/p/f/a/l/m3' },
  ])('lineJudge picks $name', ({ machines, want }) => {
    expect(lineJudge(machines).machine).toBe(want)
  })
})

describe('rollUp', () => {
  it('rollUp makes 85 % and 40 % lines into a 76 % area and factory', () => {
    const machines = [place('r/p/f/smt/l1/a', 0, true), place('r/p/f/smt/l2/b', 0, true)]
    const r = rollUp(machines, grids([['r/p/f/smt/l1/a', [A]], ['r/p/f/smt/l2/b', [B]]]), 1)
    expect(computeKpi(planAt(r.lines.get('r/p/f/smt/l1')?.totals as Float64Array)).oee).toBeCloseTo(0.85, 12)
    expect(computeKpi(planAt(r.lines.get('r/p/f/smt/l2')?.totals as Float64Array)).oee).toBeCloseTo(0.4, 12)
    const area = computeKpi(planAt(r.areas.get('r/p/f/smt') as Float64Array))
    expect(area.oee).toBeCloseTo(0.76, 12)
    expect(area.waterfall).toMatchObject({ plannedBusy: 600 * 60, fullyProductive: 456 * 60 })
    expect(computeKpi(planAt(r.factories.get('r/p/f') as Float64Array)).oee).toBeCloseTo(0.76, 12)
  })

  it('rollUp judges a line by its end-of-line machine at the line\'s ideal cycle time, with all its machines\' energy', () => {
    // Printer (not judged) made 500; the AOI at the end made 400, 20 rejected, in 480 min of PBT.
    // Line ideal 60 s: ideal good = 380 × 60 = 22800 s over 28800 s = 79.1666 %.
    const machines = [place('r/p/f/smt/l1/printer', 0, false, 60), place('r/p/f/smt/l1/aoi', 1, true, 60)]
    const printer = plan({ running: 400 * min, down: 80 * min, failures: 2, produced: 500, idealProducedS: 500 * 40, kwh: 30 })
    const aoi = plan({ running: 450 * min, idle: 30 * min, produced: 400, rejected: 20, idealProducedS: 400 * 50, idealRejectedS: 20 * 50, kwh: 12 })
    const r = rollUp(machines, grids([['r/p/f/smt/l1/printer', [printer]], ['r/p/f/smt/l1/aoi', [aoi]]]), 1)
    const line = r.lines.get('r/p/f/smt/l1')
    expect(line).toMatchObject({ machine: 'r/p/f/smt/l1/aoi', idealCycleS: 60 })
    const k = computeKpi(planAt(line?.totals as Float64Array))
    expect(k.oee).toBeCloseTo(22800 / 28800, 12)
    expect(k.seconds.idealProduced).toBe(24000)
    expect(k.counts).toEqual({ produced: 400, good: 380, rejected: 20 })
    expect(k.availability).toBeCloseTo(450 / 480, 12)
    expect(k.energy.kwh).toBe(42)
    expect(k.failures).toBe(0)
  })

  it('rollUp keeps buckets apart and sums them to the same figure as the whole window', () => {
    const machines = [place('r/p/f/smt/l1/a', 0, true)]
    const h1 = plan({ running: 60 * min, produced: 54, idealProducedS: 54 * 60 })
    const h2 = plan({ running: 20 * min, plannedStop: 40 * min, produced: 6, idealProducedS: 6 * 60 })
    const r = rollUp(machines, grids([['r/p/f/smt/l1/a', [h1, h2]]]), 2)
    const f = r.factories.get('r/p/f') as Float64Array
    expect([0, 1].map((b) => computeKpi(planAt(f, b)).oee)).toEqual([expect.closeTo(0.9, 12), expect.closeTo(0.3, 12)])
  })

  it('rollUp keeps outside-plan parts apart and judges them like production', () => {
    // Two machines, one bucket: the line's break part is its end-of-line machine's break part,
    // units at the line's ideal cycle, energy of both machines' breaks.
    const m1 = { ...emptyPlanTotals(), outside: { ...emptyPlanTotals().outside, break: { ...emptyTotals(), running: 10 * min, produced: 7, kwh: 1.5 } } }
    const m2 = { ...emptyPlanTotals(), outside: { ...emptyPlanTotals().outside, break: { ...emptyTotals(), running: 20 * min, produced: 3, rejected: 1, kwh: 2.25 } } }
    const r = rollUp([place('r/p/f/smt/l1/m1', 0, false, 30), place('r/p/f/smt/l1/m2', 1, true, 30)], grids([['r/p/f/smt/l1/m1', [m1]], ['r/p/f/smt/l1/m2', [m2]]]), 1)
    const line = planAt(r.lines.get('r/p/f/smt/l1')?.totals as Float64Array)
    expect(line.outside.break).toEqual({ ...emptyTotals(), running: 20 * min, produced: 3, rejected: 1, idealProducedS: 90, idealRejectedS: 30, kwh: 3.75 })
    expect(line.production).toEqual(emptyTotals())
    expect(planAt(r.factories.get('r/p/f') as Float64Array)).toEqual(line)
  })

  it('rollUp says which machine and bucket lack totals', () => {
    expect(() => rollUp([place('r/p/f/smt/l1/a', 0, true)], new Map(), 1)).toThrow(/no totals for machine "r\/p\/f\/smt\/l1\/a" bucket 0/)
  })
})
