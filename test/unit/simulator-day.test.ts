// The simulated day and its ground truth: the scenario follows the shift plan, and the truth of a
// hand-made timeline is the ISO 22400 arithmetic worked out below.
import { describe, expect, it } from 'vitest'
import { SMT_DAY_LINE, Scenario, dayTruth, machineTruth, reliability, shiftsOf, type RawSegment, type SimMachineSpec, type SimPlanSegment } from '../../connectors/index.ts'

const S = 1000
const T0 = Date.UTC(2026, 10, 17, 23) // 06:00 in Ho Chi Minh City

describe('ground truth of a hand-made timeline', () => {
  // Shift A: production 0-3600 s, break 3600-4200 s; shift B: production 4200-7200 s.
  const plan: SimPlanSegment[] = [
    { start: T0, end: T0 + 3600 * S, kind: 'production', shift: { name: 'A', date: '2026-11-18' } },
    { start: T0 + 3600 * S, end: T0 + 4200 * S, kind: 'break', shift: { name: 'A', date: '2026-11-18' } },
    { start: T0 + 4200 * S, end: T0 + 7200 * S, kind: 'production', shift: { name: 'B', date: '2026-11-18' } },
  ]
  const kw = { RUNNING: 6, IDLE: 2, DOWN: 1, SETUP: 3, PLANNED_STOP: 0.5 }
  const spec: SimMachineSpec = { id: 'm', name: 'm', idealCycleS: 10, speedFactor: [1.2, 1.2], rejectRate: 0, kw }
  const seg = (from: number, to: number, state: RawSegment['state'], reason: string | null = null): RawSegment => ({
    start: T0 + from * S,
    end: T0 + to * S,
    state,
    reason,
    cycleMs: state === 'RUNNING' ? 12 * S : 0,
    kw: kw[state],
  })
  // Units complete every 12 s strictly inside a run: 1200 s -> 99, 180 s -> 14, 1800 s -> 149, 700 s -> 58.
  const timeline = [
    seg(0, 1200, 'RUNNING'),
    seg(1200, 1260, 'DOWN', 'JAM'), // 60 s: a micro-stop
    seg(1260, 2460, 'RUNNING'),
    seg(2460, 2760, 'DOWN', 'FEEDER_EMPTY'), // 300 s: a failure
    seg(2760, 3360, 'SETUP', 'CHANGEOVER'),
    seg(3360, 3540, 'RUNNING'),
    seg(3540, 4200, 'PLANNED_STOP', 'BREAK'), // 60 s of it in production (planned down time), 600 s in the break
    seg(4200, 6000, 'RUNNING'),
    seg(6000, 6300, 'IDLE', 'NO_MATERIAL'),
    seg(6300, 7000, 'RUNNING'),
    seg(7000, 7300, 'DOWN', 'JAM'), // a failure of 300 s, 200 s of it before the day ends at 7200 s
  ]
  const sc = new Scenario([spec], { seed: 1, startMs: T0, durationMs: 7300 * S }, new Map([['m', timeline]]))

  it.each([
    // window, PBT s, APT s, produced, micro-stop s, failure s, failures, MTBF s, MTTR s, ideal produced s
    ['shift A', 0, 4200, 3540, 2640, 212, 60, 300, 1, 2640, 300, 2120],
    ['shift B', 4200, 7200, 3000, 2500, 207, 0, 200, 1, 2500, 200, 2070],
    ['day', 0, 7200, 6540, 5140, 419, 60, 500, 2, 2570, 250, 4190],
  ] as const)('ground truth of %s', (_name, from, to, pbt, apt, produced, micro, down, failures, mtbf, mttr, ideal) => {
    const t = machineTruth(sc, 'm', T0 + from * S, T0 + to * S, { plan })
    expect(t.plannedBusyMs).toBe(pbt * S)
    expect(t.actualProductionMs).toBe(apt * S)
    expect(t.produced).toBe(produced)
    expect(t.microStopMs).toBe(micro * S)
    expect(t.downMs).toBe(down * S)
    expect(t.failures).toBe(failures)
    expect(reliability(t)).toEqual({ mtbfS: mtbf, mttrS: mttr })
    expect(t.availability).toBeCloseTo(apt / pbt, 12)
    expect(t.performance).toBeCloseTo(ideal / apt, 12)
    expect(t.quality).toBe(1)
    expect(t.oee).toBeCloseTo(ideal / pbt, 12)
    expect(t.waterfall.fullyProductiveS).toBeCloseTo(ideal, 9)
    expect(t.waterfall.speedS).toBeCloseTo(t.ms.RUNNING / S - ideal, 9)
  })

  it('ground truth keeps breaks out of planned busy time and counts the whole day\'s energy', () => {
    const t = machineTruth(sc, 'm', T0, T0 + 7200 * S, { plan })
    expect(t.ms).toEqual({ RUNNING: 5080 * S, DOWN: 560 * S, SETUP: 600 * S, IDLE: 300 * S, PLANNED_STOP: 60 * S })
    expect(t.outsideMs).toEqual({ RUNNING: 0, DOWN: 0, SETUP: 0, IDLE: 0, PLANNED_STOP: 600 * S })
    // kW·s: running 5080×6, down 560×1, setup 600×3, idle 300×2, planned stop 660×0.5 (600 of it in the break).
    expect(t.kwh).toBeCloseTo(33_770 / 3600, 9)
    expect(t.productionKwh).toBeCloseTo(33_470 / 3600, 9)
    expect(t.kwhByState.PLANNED_STOP).toBeCloseTo(330 / 3600, 9)
    expect(t.kwhPerGoodUnit).toBeCloseTo(33_470 / 3600 / 419, 12)
  })

  it('ground truth ranks downtime by the reason a stop opened with, over the whole window', () => {
    const t = machineTruth(sc, 'm', T0, T0 + 7200 * S, { plan })
    expect(t.downtime).toEqual([
      { reason: 'FEEDER_EMPTY', ms: 300 * S, failureMs: 300 * S, microStopMs: 0, failures: 1, microStops: 0 },
      { reason: 'JAM', ms: 260 * S, failureMs: 200 * S, microStopMs: 60 * S, failures: 1, microStops: 1 },
    ])
  })

  it('ground truth classes a stop crossing the window\'s start by its whole length and does not count it there', () => {
    const t = machineTruth(sc, 'm', T0 + 1230 * S, T0 + 2000 * S)
    expect(t.microStopMs).toBe(30 * S)
    expect(t.microStops).toBe(0)
    expect(t.plannedBusyMs).toBe(770 * S)
  })
})

describe('simulated day', () => {
  const H = 3_600_000
  const shift = (name: string) => ({ name, date: '2026-11-18' })
  // Three shifts with a meal break each; an hour of planned downtime in shift B.
  const plan: SimPlanSegment[] = [
    { start: T0, end: T0 + 4 * H, kind: 'production', shift: shift('A') },
    { start: T0 + 4 * H, end: T0 + 4.5 * H, kind: 'break', shift: shift('A') },
    { start: T0 + 4.5 * H, end: T0 + 8 * H, kind: 'production', shift: shift('A') },
    { start: T0 + 8 * H, end: T0 + 9 * H, kind: 'planned_downtime', shift: shift('B') },
    { start: T0 + 9 * H, end: T0 + 12 * H, kind: 'production', shift: shift('B') },
    { start: T0 + 12 * H, end: T0 + 12.5 * H, kind: 'break', shift: shift('B') },
    { start: T0 + 12.5 * H, end: T0 + 16 * H, kind: 'production', shift: shift('B') },
    { start: T0 + 16 * H, end: T0 + 20 * H, kind: 'production', shift: shift('C') },
    { start: T0 + 20 * H, end: T0 + 20.5 * H, kind: 'break', shift: shift('C') },
    { start: T0 + 20.5 * H, end: T0 + 24 * H, kind: 'production', shift: shift('C') },
  ]
  const day = (seed: number) => Scenario.day(SMT_DAY_LINE, { seed, plan })

  it('simulated day is the same for the same seed and differs for another', () => {
    const a = day(7)
    const b = day(7)
    const c = day(8)
    for (const m of SMT_DAY_LINE) expect(a.segments(m.id, T0, T0 + 24 * H)).toEqual(b.segments(m.id, T0, T0 + 24 * H))
    expect(a.segments('pick-place', T0, T0 + 24 * H)).not.toEqual(c.segments('pick-place', T0, T0 + 24 * H))
  })

  it.each(SMT_DAY_LINE.map((m) => m.id))('simulated day of %s covers the plan, stops for breaks and planned downtime, and has every kind of loss', (id) => {
    const sc = day(7)
    const segs = sc.segments(id, T0, T0 + 24 * H)
    expect(segs[0]?.start).toBe(T0)
    for (let i = 1; i < segs.length; i++) {
      const [p, s] = [segs[i - 1], segs[i]] as [NonNullable<(typeof segs)[0]>, NonNullable<(typeof segs)[0]>]
      expect(s.start).toBe(p.end)
      if (s.state !== 'RUNNING') expect(`${s.state}/${s.reason}`).not.toBe(`${p.state}/${p.reason}`)
    }
    // Outside production nothing but planned stops, except the reflow oven emptying into a break.
    for (const s of segs) {
      for (const p of plan.filter((x) => x.kind !== 'production')) {
        const overlap = Math.min(s.end, p.end) - Math.max(s.start, p.start)
        if (overlap <= 0) continue
        if (id === 'reflow' && s.state === 'RUNNING') expect(s.start).toBeLessThan(p.start)
        else expect([s.state, s.reason]).toEqual(['PLANNED_STOP', p.kind === 'break' ? 'BREAK' : 'PLANNED_MAINTENANCE'])
      }
    }
    const t = machineTruth(sc, id, T0, T0 + 24 * H, { plan })
    expect(t.failures).toBeGreaterThan(0)
    expect(t.microStops).toBeGreaterThan(0)
    expect(t.ms.SETUP).toBeGreaterThan(0)
    expect(t.ms.IDLE).toBeGreaterThan(0)
    expect(t.rejected).toBeGreaterThan(0)
    expect(t.oee).toBeGreaterThan(0.4)
    expect(t.oee).toBeLessThan(0.95)
  })

  it.each(SMT_DAY_LINE.map((m) => m.id))('ground truth of the shifts of %s adds up to the day', (id) => {
    const sc = day(7)
    const { shifts, day: whole } = dayTruth(sc, id, plan)
    expect(shifts.map((s) => s.name)).toEqual(shiftsOf(plan).map((s) => s.name))
    const sum = (f: (t: (typeof shifts)[0]['truth']) => number) => shifts.reduce((a, s) => a + f(s.truth), 0)
    expect(sum((t) => t.plannedBusyMs)).toBe(whole.plannedBusyMs)
    expect(sum((t) => t.actualProductionMs)).toBe(whole.actualProductionMs)
    expect(sum((t) => t.produced)).toBe(whole.produced)
    expect(sum((t) => t.rejected)).toBe(whole.rejected)
    expect(sum((t) => t.failures)).toBe(whole.failures)
    expect(sum((t) => t.kwh)).toBeCloseTo(whole.kwh, 9)
    expect(sum((t) => t.productionKwh)).toBeCloseTo(whole.productionKwh, 9)
    for (const t of [...shifts.map((s) => s.truth), whole]) {
      expect(t.ms.RUNNING + t.ms.DOWN + t.ms.IDLE + t.ms.SETUP + t.ms.PLANNED_STOP + Object.values(t.outsideMs).reduce((a, b) => a + b, 0)).toBe(t.to - t.from)
      expect(t.oee as number).toBeCloseTo((t.availability as number) * (t.performance as number) * (t.quality as number), 12)
    }
  })
})
