import { describe, expect, it } from 'vitest'
import { DISCLOSURE_DEFAULTS, DisclosureError, resolveDisclosureConfig } from '../../api/analyst/index.ts'
import { requirementOf } from '../../api/analyst/rules.ts'

/** A cell's contributors for the default magnitudes (plannedBusyS, good, kwh); one number = the same for all three. */
const cellOf = (...xs: Array<number | readonly [number, number, number]>) =>
  new Map(xs.map((x, i) => [`f${i}`, Float64Array.from(typeof x === 'number' ? [x, x, x] : x)]))

const cfg = resolveDisclosureConfig()

describe('primary rules', () => {
  const cases: Array<{ name: string; cell: ReturnType<typeof cellOf>; sensitive: boolean; up?: number; down?: number; config?: unknown }> = [
    { name: 'three equal factories pass (two largest 66.7 %)', cell: cellOf(10, 10, 10), sensitive: false },
    { name: 'four similar factories pass', cell: cellOf(30, 25, 25, 20), sensitive: false },
    { name: 'one factory: min firms and (1,50), protected by its whole value', cell: cellOf(100), sensitive: true, up: 100, down: 100 },
    { name: 'two factories: min firms, ± the larger', cell: cellOf(60, 40), sensitive: true, up: 60, down: 60 },
    { name: 'largest exactly 50 % and two largest exactly 67 % pass (the rules say "more than")', cell: cellOf(50, 17, 17, 16), sensitive: false },
    { name: '(1,50): largest 51 % needs 2 × 51 − 100 = 2', cell: cellOf(51, 16, 17, 16), sensitive: true, up: 2, down: 2 },
    { name: '(2,67): two largest 68 % need 100/67 × 68 − 100', cell: cellOf(40, 28, 16, 16), sensitive: true, up: (100 / 67) * 68 - 100 },
    { name: 'a dominant factory in a large cell: 80 of 100', cell: cellOf(80, 5, 5, 5, 5), sensitive: true, up: 60, down: 60 },
    { name: 'energy metered by one factory only: sensitive in kWh alone', cell: cellOf([10, 10, 0], [10, 10, 0], [10, 10, 7], [10, 10, 0]), sensitive: true },
    { name: 'a magnitude that is zero everywhere needs no protection', cell: cellOf([10, 10, 0], [10, 10, 0], [10, 10, 0]), sensitive: false },
    { name: 'one factory with nothing to show is still suppressed', cell: cellOf(0), sensitive: true, up: 0, down: 0 },
    { name: 'rules switched off', cell: cellOf(100), sensitive: false, config: { minFirms: 1, dominance: [] } },
    { name: 'minFirmsProtection scales the protection of a small cell', cell: cellOf(60, 40), sensitive: true, up: 30, config: { dominance: [], minFirmsProtection: 0.5 } },
  ]
  for (const c of cases) {
    it(`rules: ${c.name}`, () => {
      const req = requirementOf(c.cell, c.config === undefined ? cfg : resolveDisclosureConfig(c.config))
      expect(req !== undefined).toBe(c.sensitive)
      if (c.up !== undefined) expect(req?.up[0]).toBeCloseTo(c.up, 9)
      if (c.down !== undefined) expect(req?.down[0]).toBeCloseTo(c.down, 9)
    })
  }

  it('rules apply per magnitude: a factory dominating energy but not time needs protection in kWh only', () => {
    const req = requirementOf(cellOf([10, 10, 90], [10, 10, 5], [10, 10, 5]), cfg)
    expect(req?.up[0]).toBe(0)
    expect(req?.up[2]).toBeCloseTo(2 * 90 - 100, 9)
  })

  it('rules rank factories, not months: one factory\'s months are added before the largest is found', () => {
    // Built by the cube from contributions; here the cell already holds per-factory sums.
    expect(requirementOf(cellOf(34, 33, 33), cfg)).toBeUndefined()
    expect(requirementOf(cellOf(67, 33), cfg)).toBeDefined()
  })
})

describe('disclosure config', () => {
  it('config defaults live in DISCLOSURE_DEFAULTS: (1,50), (2,67), at least 3 factories', () => {
    expect(resolveDisclosureConfig()).toEqual(DISCLOSURE_DEFAULTS)
    expect(DISCLOSURE_DEFAULTS.minFirms).toBe(3)
    expect(DISCLOSURE_DEFAULTS.dominance).toEqual([
      { n: 1, k: 50 },
      { n: 2, k: 67 },
    ])
    expect(DISCLOSURE_DEFAULTS.magnitudes).toEqual(['plannedBusyS', 'good', 'kwh'])
  })

  const bad: Array<[unknown, RegExp]> = [
    [{ minFirms: 0 }, /^disclosure\.minFirms /],
    [{ minFirms: 2.5 }, /^disclosure\.minFirms /],
    [{ dominance: [{ n: 1, k: 0 }] }, /^disclosure\.dominance\[0\]\.k /],
    [{ dominance: [{ n: 1, k: 150 }] }, /^disclosure\.dominance\[0\]\.k /],
    [{ dominance: [{ n: 1 }] }, /^disclosure\.dominance\[0\]\.k is required/],
    [{ dominance: [{ n: 1, k: 50 }, { n: 1, k: 60 }] }, /^disclosure\.dominance\[1\]\.n repeats n = 1/],
    [{ magnitudes: ['pbt'] }, /^disclosure\.magnitudes\[0\] must be one of plannedBusyS, .*kwh/],
    [{ magnitudes: [] }, /^disclosure\.magnitudes /],
    [{ tables: ['park-region'] }, /^disclosure\.tables\[0\] must be one of region-park, region-sector, park-sector/],
    [{ periods: ['week'] }, /^disclosure\.periods\[0\] must be one of month, quarter, year/],
    [{ minfirms: 3 }, /^disclosure\.minfirms is not a known key/],
  ]
  for (const [input, message] of bad) {
    it(`config rejects ${JSON.stringify(input)} naming the key`, () => {
      let err: unknown
      try {
        resolveDisclosureConfig(input)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(DisclosureError)
      expect((err as DisclosureError).code).toBe('SHOPFLOOR_ANALYST_CONFIG_INVALID')
      expect((err as DisclosureError).message).toMatch(message)
    })
  }
})
