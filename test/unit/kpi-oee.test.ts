import { describe, expect, it } from 'vitest'
import { stateTime, type StateEvent } from '../../api/kpi/state-time.ts'
import { computeOee, sumStateTime } from '../../api/kpi/oee.ts'

const T0 = Date.UTC(2026, 10, 21, 0, 0, 0)
const min = 60_000
const ev = (offsetMin: number, state: StateEvent['state'], seq = offsetMin): StateEvent => ({ ts: T0 + offsetMin * min, state, seq })

describe('stateTime', () => {
  it('stateTime clips the state in force before the window to the window', () => {
    const t = stateTime([ev(-30, 'RUNNING'), ev(10, 'IDLE')], T0, T0 + 20 * min, 120_000, T0 + 60 * min)
    expect(t.running).toBe(10 * min)
    expect(t.idle).toBe(10 * min)
    expect(t.offline).toBe(0)
  })

  it('stateTime counts time before the first known state as offline, not as a loss', () => {
    const t = stateTime([ev(5, 'RUNNING')], T0, T0 + 10 * min, 120_000, T0 + 60 * min)
    expect(t.offline).toBe(5 * min)
    expect(t.running).toBe(5 * min)
  })

  it('stateTime classes DOWN shorter than the threshold as micro-stops by the whole stop', () => {
    // 1-minute stop (micro), 3-minute stop (failure); threshold 2 minutes
    const t = stateTime([ev(0, 'RUNNING'), ev(10, 'DOWN'), ev(11, 'RUNNING'), ev(20, 'DOWN'), ev(23, 'RUNNING')], T0, T0 + 30 * min, 2 * min, T0 + 60 * min)
    expect(t.microStops).toBe(1 * min)
    expect(t.down).toBe(3 * min)
    expect(t.failures).toBe(1)
    expect(t.running).toBe(26 * min)
  })

  it('stateTime treats consecutive DOWN events (a reason update) as one stop', () => {
    const t = stateTime([ev(0, 'DOWN', 1), ev(1, 'DOWN', 2), ev(3, 'RUNNING', 3)], T0, T0 + 5 * min, 2 * min, T0 + 60 * min)
    expect(t.down).toBe(3 * min)
    expect(t.microStops).toBe(0)
    expect(t.failures).toBe(1)
  })

  it('stateTime classes a stop crossing the window end by its whole length', () => {
    // Window ends 30 s into a 10-minute stop: still a failure, not a micro-stop.
    const t = stateTime([ev(0, 'RUNNING'), ev(5, 'DOWN'), ev(15, 'RUNNING')], T0, T0 + 5.5 * min, 2 * min, T0 + 60 * min)
    expect(t.down).toBe(0.5 * min)
    expect(t.microStops).toBe(0)
  })

  it('stateTime stops at now for a window reaching into the future', () => {
    const t = stateTime([ev(0, 'RUNNING')], T0, T0 + 60 * min, 2 * min, T0 + 15 * min)
    expect(t.running).toBe(15 * min)
  })
})

describe('computeOee', () => {
  it('computeOee computes A, P, Q and OEE from seconds and ideal times', () => {
    // PBT 480 min: 400 running, 30 setup, 50 down. 1000 units of 20 s ideal, 50 rejected.
    const time = { running: 400 * min, microStops: 0, down: 50 * min, idle: 0, setup: 30 * min, plannedStop: 60 * min, offline: 0, failures: 2 }
    const r = computeOee(time, { produced: 1000, rejected: 50, idealProducedS: 1000 * 20, idealGoodS: 950 * 20 })
    expect(r.seconds.plannedBusy).toBe(480 * 60)
    expect(r.availability).toBeCloseTo(400 / 480, 12)
    expect(r.performance).toBeCloseTo(20000 / 24000, 12)
    expect(r.quality).toBeCloseTo(0.95, 12)
    expect(r.oee).toBeCloseTo(19000 / 28800, 12)
    expect((r.availability ?? 0) * (r.performance ?? 0) * (r.quality ?? 0)).toBeCloseTo(r.oee ?? -1, 12)
    expect(r.flags).toEqual([])
  })

  it('computeOee aggregates two machines by summing times: 85 % and 40 % make 76 %', () => {
    // KPI.md: A has PBT 480 min with 408 fully productive; B has PBT 120 min with 48.
    const a = { running: 480 * min, microStops: 0, down: 0, idle: 0, setup: 0, plannedStop: 0, offline: 0, failures: 0 }
    const b = { running: 120 * min, microStops: 0, down: 0, idle: 0, setup: 0, plannedStop: 0, offline: 0, failures: 0 }
    const ca = { produced: 408, rejected: 0, idealProducedS: 408 * 60, idealGoodS: 408 * 60 }
    const cb = { produced: 48, rejected: 0, idealProducedS: 48 * 60, idealGoodS: 48 * 60 }
    expect(computeOee(a, ca).oee).toBeCloseTo(0.85, 12)
    expect(computeOee(b, cb).oee).toBeCloseTo(0.4, 12)
    const both = computeOee(sumStateTime([a, b]), { produced: 456, rejected: 0, idealProducedS: 456 * 60, idealGoodS: 456 * 60 })
    expect(both.oee).toBeCloseTo(0.76, 12)
  })

  it('computeOee reports performance above 100 % as it is and flags it', () => {
    const time = { running: 10 * min, microStops: 0, down: 0, idle: 0, setup: 0, plannedStop: 0, offline: 0, failures: 0 }
    const r = computeOee(time, { produced: 60, rejected: 0, idealProducedS: 60 * 12, idealGoodS: 60 * 12 })
    expect(r.performance).toBeCloseTo(1.2, 12)
    expect(r.flags).toContain('performance_above_100')
  })

  it('computeOee counts micro-stops inside production time, so they lower performance not availability', () => {
    const time = { running: 50 * min, microStops: 10 * min, down: 0, idle: 0, setup: 0, plannedStop: 0, offline: 0, failures: 0 }
    const r = computeOee(time, { produced: 50, rejected: 0, idealProducedS: 50 * 60, idealGoodS: 50 * 60 })
    expect(r.availability).toBe(1)
    expect(r.performance).toBeCloseTo(50 / 60, 12)
  })

  it('computeOee gives nulls, not NaN, without planned time', () => {
    const zero = { running: 0, microStops: 0, down: 0, idle: 0, setup: 0, plannedStop: 5 * min, offline: 0, failures: 0 }
    const r = computeOee(zero, { produced: 0, rejected: 0, idealProducedS: 0, idealGoodS: 0 })
    expect([r.availability, r.performance, r.quality, r.oee]).toEqual([null, null, null, null])
    expect(r.flags).toContain('no_planned_time')
  })
})
