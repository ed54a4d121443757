// The EnPI against a baseline (ISO 50006): SEC of the reporting span against the baseline's, the
// energy its output would have taken at the baseline rate, and the saving.
import { describe, expect, it } from 'vitest'
import { enpiBaseline, enpiOf } from '../../api/energy/enpi.ts'

const base = (kwh: number, good: number) => enpiBaseline('2026-04-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z', { kwh, units: { good } })

describe('enpiOf', () => {
  it.each([
    // baseline kWh, good; reporting kWh, good -> SEC, change, expected, savings
    ['10 % less energy per unit', 1000, 500, 900, 500, 1.8, -0.1, 1000, 100],
    ['more output at the same rate', 1000, 500, 1200, 600, 2, 0, 1200, 0],
    ['a worse rate', 1000, 500, 1100, 500, 2.2, 0.1, 1000, -100],
    ['nothing made in the reporting span', 1000, 500, 300, 0, null, null, 0, -300],
  ] as const)('enpiOf: %s', (_name, bk, bg, rk, rg, sec, change, expected, savings) => {
    const e = enpiOf(base(bk, bg), { kwh: rk, goodUnits: rg })
    expect(e.baseline).toEqual({ from: '2026-04-01T00:00:00.000Z', to: '2026-05-01T00:00:00.000Z', kwh: bk, goodUnits: bg, kwhPerGoodUnit: bk / bg })
    expect(e.kwhPerGoodUnit === null ? null : e.kwhPerGoodUnit).toBe(sec === null ? null : e.kwhPerGoodUnit)
    if (sec !== null) expect(e.kwhPerGoodUnit).toBeCloseTo(sec, 12)
    if (change === null) expect(e.change).toBeNull()
    else expect(e.change).toBeCloseTo(change, 12)
    expect(e.expectedKwh).toBeCloseTo(expected, 9)
    expect(e.savingsKwh).toBeCloseTo(savings, 9)
  })

  it('enpiOf: a baseline without good units has no SEC, so no change, expected energy or saving', () => {
    expect(enpiOf(base(1000, 0), { kwh: 900, goodUnits: 500 })).toMatchObject({ kwhPerGoodUnit: 1.8, change: null, expectedKwh: null, savingsKwh: null })
  })
})
