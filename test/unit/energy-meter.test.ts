import { describe, expect, it } from 'vitest'
import { checkMeterDeltas, type MeterDelta } from '../../api/energy/meter.ts'

const MIN = 60_000
const d = (minute: number, kwh: number, kvarh: number | null = null): MeterDelta => ({ ts: minute * MIN, kwh, kvarh })

describe('checkMeterDeltas', () => {
  it.each([
    // name, deltas, previous reading (minute), maxKw -> kept kWh, rejected problems
    ['contiguous readings at 60 kW', [d(1, 1), d(2, 1), d(3, 1)], 0, 500, [1, 1, 1], []],
    ['a negative delta (a meter replaced, sent by a producer that did not catch it)', [d(1, 1), d(2, -4000), d(3, 1)], 0, 500, [1, 1], ['negative']],
    ['a register jump: 1,000,000 kWh in a minute is 60 GW', [d(1, 1), d(2, 1e6), d(3, 1)], 0, 500, [1, 1], ['implausible_power']],
    ['a catch-up delta after an hour without readings is plausible', [d(1, 1), d(61, 100)], 0, 500, [1, 100], []],
    ['the same catch-up with a low limit is not', [d(1, 1), d(61, 100)], 0, 70, [1], ['implausible_power']],
    ['NaN and Infinity', [d(1, Number.NaN), d(2, Number.POSITIVE_INFINITY), d(3, 1)], 0, 500, [1], ['not_finite', 'not_finite']],
    ['a negative kvarh', [d(1, 1, -1), d(2, 1, 0.5)], 0, 500, [1], ['negative']],
    ['a first reading without a known predecessor is checked for sign only', [d(1, 50), d(2, 1)], undefined, 500, [50, 1], []],
    ['two readings at the same instant with energy', [d(1, 1), d(1, 1)], 0, 500, [1], ['implausible_power']],
    ['zero energy is always plausible', [d(1, 0), d(1, 0)], 1, 1, [0, 0], []],
  ] as const)('checkMeterDeltas: %s', (_name, deltas, prevMinute, maxKw, kept, problems) => {
    const r = checkMeterDeltas(deltas, { maxKw, previousTs: prevMinute === undefined ? undefined : prevMinute * MIN })
    expect(r.kept.map((k) => k.kwh)).toEqual(kept)
    expect(r.rejected.map((k) => k.problem)).toEqual(problems)
  })

  it('checkMeterDeltas says what power a rejected jump implied', () => {
    const r = checkMeterDeltas([d(1, 1), d(2, 100)], { maxKw: 500, previousTs: 0 })
    expect(r.rejected[0]?.impliedKw).toBe(6000) // 100 kWh in 1 min
  })
})
