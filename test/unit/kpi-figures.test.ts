import { describe, expect, it } from 'vitest'
import { computeKpi } from '../../api/kpi/figures.ts'
import { emptyPlanTotals, emptyTotals, sumPlanTotals, type KpiTotals, type PlanTotals } from '../../api/kpi/totals.ts'
import { lossWaterfall } from '../../api/kpi/waterfall.ts'

const min = 60_000
type T = Partial<KpiTotals>
const totals = (t: T): KpiTotals => ({ ...emptyTotals(), ...t })
const plan = (production: T, outside: Partial<Record<keyof PlanTotals['outside'], T>> = {}): PlanTotals => {
  const p = emptyPlanTotals()
  return { production: totals(production), outside: { ...p.outside, ...Object.fromEntries(Object.entries(outside).map(([k, v]) => [k, totals(v)])) } }
}

describe('lossWaterfall', () => {
  // Each case worked by hand; all figures seconds. Ideal cycle 30 s unless said.
  it.each([
    {
      name: 'a shift with every loss',
      // PBT 480 min = 380 running + 10 micro + 30 setup + 40 failure + 20 idle.
      // 700 units × 30 s = 21000 s ideal; running 22800 s → speed 1800 s. 20 rejects × 30 = 600 s.
      t: { running: 380 * min, microStops: 10 * min, setup: 30 * min, down: 40 * min, idle: 20 * min, produced: 700, rejected: 20, idealProducedS: 21000, idealRejectedS: 600 },
      want: { plannedBusy: 28800, setup: 1800, failure: 2400, idle: 1200, actualProduction: 23400, microStops: 600, speed: 1800, net: 21000, quality: 600, fullyProductive: 20400 },
    },
    {
      name: 'a machine faster than its ideal cycle: speed loss negative, not capped',
      // 60 min running, 150 units × 30 s = 4500 s ideal: speed = 3600 − 4500 = −900 s.
      t: { running: 60 * min, produced: 150, idealProducedS: 4500 },
      want: { plannedBusy: 3600, setup: 0, failure: 0, idle: 0, actualProduction: 3600, microStops: 0, speed: -900, net: 4500, quality: 0, fullyProductive: 4500 },
    },
    {
      name: 'planned stops and offline time stay out of PBT',
      t: { running: 10 * min, plannedStop: 30 * min, offline: 5 * min, produced: 20, idealProducedS: 600 },
      want: { plannedBusy: 600, setup: 0, failure: 0, idle: 0, actualProduction: 600, microStops: 0, speed: 0, net: 600, quality: 0, fullyProductive: 600 },
    },
  ])('lossWaterfall steps $name down to fully productive time', ({ t, want }) => {
    const w = lossWaterfall(totals(t))
    expect(w).toEqual(want)
    // The steps add up: PBT − all losses = fully productive.
    expect(w.plannedBusy - w.setup - w.failure - w.idle).toBeCloseTo(w.actualProduction, 9)
    expect(w.actualProduction - w.microStops - w.speed).toBeCloseTo(w.net, 9)
    expect(w.net - w.quality).toBeCloseTo(w.fullyProductive, 9)
  })
})

describe('computeKpi', () => {
  it('computeKpi gives OEE as fully productive time over PBT, equal to A × P × Q', () => {
    const k = computeKpi(plan({ running: 380 * min, microStops: 10 * min, setup: 30 * min, down: 40 * min, idle: 20 * min, failures: 4, produced: 700, rejected: 20, idealProducedS: 21000, idealRejectedS: 600, kwh: 68 }))
    expect(k.availability).toBeCloseTo(23400 / 28800, 12)
    expect(k.performance).toBeCloseTo(21000 / 23400, 12)
    expect(k.quality).toBeCloseTo(20400 / 21000, 12)
    expect(k.oee).toBeCloseTo(20400 / 28800, 12)
    expect((k.availability ?? 0) * (k.performance ?? 0) * (k.quality ?? 0)).toBeCloseTo(k.oee ?? -1, 12)
    expect(k.waterfall.fullyProductive / k.waterfall.plannedBusy).toBeCloseTo(k.oee ?? -1, 12)
    expect(k.counts).toEqual({ produced: 700, good: 680, rejected: 20 })
    expect(k.seconds.idealRejected).toBe(600)
    expect(k.seconds.plannedOperation).toBe(28800)
    expect(k.flags).toEqual([])
  })

  it.each([
    // APT 390 min = 23400 s over 4 failures; failure time 40 min = 2400 s.
    { name: 'four failures', t: { running: 380 * min, microStops: 10 * min, down: 40 * min, failures: 4 }, mtbf: 5850, mttr: 600 },
    // A failure that began before the period still counts its down time, but no failure: no MTBF/MTTR.
    { name: 'no failure that began in the period', t: { running: 60 * min, down: 5 * min, failures: 0 }, mtbf: null, mttr: null },
    { name: 'one failure', t: { running: 100 * min, down: 20 * min, failures: 1 }, mtbf: 6000, mttr: 1200 },
  ])('computeKpi gives MTBF and MTTR for $name', ({ t, mtbf, mttr }) => {
    const k = computeKpi(plan(t))
    expect(k.mtbfS).toBe(mtbf)
    expect(k.mttrS).toBe(mttr)
  })

  it.each([
    // 480 min PBT = 8 h: 700 produced → 87.5/h, 680 good → 85/h; 20/700 scrap.
    { name: 'a shift', t: { running: 480 * min, produced: 700, rejected: 20 }, produced: 87.5, good: 85, scrap: 20 / 700 },
    { name: 'nothing made', t: { idle: 60 * min }, produced: 0, good: 0, scrap: null },
    { name: 'no planned busy time', t: { plannedStop: 60 * min }, produced: null, good: null, scrap: null },
  ])('computeKpi gives throughput per PBT hour and scrap ratio for $name', ({ t, produced, good, scrap }) => {
    const k = computeKpi(plan(t))
    expect(k.throughput).toEqual({ producedPerHour: produced, goodPerHour: good })
    expect(k.scrapRatio).toBe(scrap)
  })

  it.each([
    { name: 'performance above 100 %', p: { running: 60 * min, produced: 150, idealProducedS: 4500 }, o: {}, flags: ['performance_above_100', 'speed_loss_negative'] },
    // Micro-stops 20 min, running 40 min; ideal 2500 s > running 2400 s but < APT 3600 s.
    { name: 'speed loss below zero with micro-stops', p: { running: 40 * min, microStops: 20 * min, produced: 100, idealProducedS: 2500 }, o: {}, flags: ['speed_loss_negative'] },
    { name: 'no planned time', p: { plannedStop: 10 * min }, o: {}, flags: ['no_planned_time'] },
    { name: 'offline in production time', p: { running: 10 * min, offline: 5 * min }, o: {}, flags: ['offline_in_planned_time'] },
    { name: 'units made in a break', p: { running: 10 * min }, o: { break: { running: 5 * min, produced: 3 } }, flags: ['units_outside_planned_time'] },
  ])('computeKpi flags $name', ({ p, o, flags }) => {
    expect([...computeKpi(plan(p, o)).flags].sort()).toEqual([...flags].sort())
  })

  it('computeKpi keeps time and units outside production segments out of the OEE and reports them', () => {
    const k = computeKpi(
      plan(
        { running: 60 * min, produced: 120, idealProducedS: 3600, kwh: 10 },
        { break: { running: 10 * min, produced: 20, rejected: 1, idealProducedS: 600, kwh: 2 }, no_shift: { idle: 30 * min, kwh: 0.5 }, holiday: { offline: 60 * min } },
      ),
      ['calendar_defaulted'],
    )
    expect(k.oee).toBe(1)
    expect(k.counts.produced).toBe(120)
    expect(k.energy).toEqual({ kwh: 10, kwhPerGoodUnit: 10 / 120 })
    expect(k.outsidePlan).toEqual({
      seconds: { break: 600, holiday: 3600, planned_downtime: 0, no_shift: 1800 },
      states: { running: 600, microStops: 0, down: 0, idle: 1800, setup: 0, plannedStop: 0, offline: 3600 },
      counts: { produced: 20, good: 19, rejected: 1 },
      kwh: 2.5,
    })
    expect(k.flags).toEqual(['units_outside_planned_time', 'calendar_defaulted'])
  })

  it('computeKpi of a sum of periods is the ratio of sums, not the mean of ratios', () => {
    // Hour 1: OEE 90 % over 60 min PBT; hour 2: 30 % over 20 min PBT (the rest planned stop):
    // (54 + 6) min ideal / 80 min = 75 %, not the mean 60 %.
    const h1 = plan({ running: 60 * min, produced: 54, idealProducedS: 54 * 60 })
    const h2 = plan({ running: 20 * min, plannedStop: 40 * min, produced: 6, idealProducedS: 6 * 60 })
    expect(computeKpi(h1).oee).toBeCloseTo(0.9, 12)
    expect(computeKpi(h2).oee).toBeCloseTo(0.3, 12)
    expect(computeKpi(sumPlanTotals([h1, h2])).oee).toBeCloseTo(0.75, 12)
  })
})
