// The reactive power charge (tariffs.yaml reactivePower, Circular 15/2014/TT-BCT): k % by cos φ
// rounded to two decimals, the charge on the active energy cost, the rule in force by date, and
// the seed checks of the k table.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { reactiveCharge, reactiveKPercent } from '../../api/energy/reactive.ts'
import { dayNumber } from '../../api/calendar/local-time.ts'
import { loadEnergyReference } from '../../api/reference/energy.ts'
import { DEFAULT_SEED_DIR } from '../../api/reference/index.ts'
import { seedCopies, seedErrorOf } from '../support/seed.ts'

const rules = loadEnergyReference(DEFAULT_SEED_DIR).reactivePower
const rule = rules[0]!
const day = (d: string): number => dayNumber(d) as number

describe('reactive power charge', () => {
  it('reactivePower ships Circular 15/2014/TT-BCT with its source, a check note and 30 table rows', () => {
    expect(rules.map((r) => [r.id, r.effectiveFrom, r.effectiveTo, r.minCosPhi, r.minContractKw])).toEqual([['moit-15-2014', '2014-12-10', null, 0.9, 40]])
    expect(rule.source).toContain('15/2014/TT-BCT')
    expect(rule.check).toBeDefined()
    expect(rule.kPercent.size).toBe(30)
    expect([rule.lowestHundredths, rule.belowTablePercent]).toEqual([60, 52.54])
  })

  it.each([
    [1, 1, 0],
    [0.95, 0.95, 0],
    [0.9, 0.9, 0],
    [0.895, 0.9, 0], // rounds up to 0.90: no charge
    [0.8949, 0.89, 1.12],
    [0.85, 0.85, 5.88],
    [0.8, 0.8, 12.5],
    [0.6125, 0.61, 47.54],
    [0.6, 0.6, 50],
    [0.594, 0.59, 52.54], // below the table
    [0.2, 0.2, 52.54],
  ])('reactiveKPercent: cos φ %f reads the table at %f: k %f %', (pf, cosPhi, k) => {
    expect(reactiveKPercent(rule, pf)).toEqual({ cosPhi, kPercent: k })
  })

  it('reactiveKPercent: each k of the table is 0.9 / cos φ - 1 to two decimals (the appendix formula)', () => {
    for (const [h, k] of rule.kPercent) expect(k, `cos φ ${h / 100}`).toBeCloseTo((0.9 / (h / 100) - 1) * 100, 1)
  })

  it('reactiveCharge: k % of the active energy cost; nothing known without reactive metering or a rule in force', () => {
    expect(reactiveCharge(rules, day('2026-05-04'), 0.85, 100_000)).toEqual({ rule: 'moit-15-2014', cosPhi: 0.85, kPercent: 5.88, vnd: 5880 })
    expect(reactiveCharge(rules, day('2026-05-04'), 0.93, 100_000)).toEqual({ rule: 'moit-15-2014', cosPhi: 0.93, kPercent: 0, vnd: 0 })
    expect(reactiveCharge(rules, day('2026-05-04'), null, 100_000)).toEqual({ rule: 'moit-15-2014', cosPhi: null, kPercent: null, vnd: null })
    expect(reactiveCharge(rules, day('2014-12-09'), 0.85, 100_000)).toEqual({ rule: null, cosPhi: 0.85, kPercent: null, vnd: null })
    expect(() => reactiveKPercent(rule, 1.2)).toThrow(/power factor must be 0 to 1, got 1.2/)
  })

  const seedDir = seedCopies('shopfloor-reactive-seed-')
  it.each([
    ['a hole in the k table', (s: string) => s.replace("      '0.75': 20\n", ''), /tariffs\.yaml:\d+: reactivePower\[0\]\.kPercent has no entry for cos φ 0\.75: list every hundredth from 0\.89 down to 0\.60/],
    ['a k that falls as cos φ falls', (s: string) => s.replace("'0.80': 12.5", "'0.80': 1.5"), /tariffs\.yaml:\d+: reactivePower\[0\]\.kPercent\["?0\.80"?\] 1\.5 is below the k of a higher cos φ \(11\.11\)/],
    ['a k for a cos φ at minCosPhi', (s: string) => s.replace("      '0.89': 1.12\n", "      '0.90': 0.5\n      '0.89': 1.12\n"), /tariffs\.yaml:\d+: reactivePower\[0\]\.kPercent\["?0\.90"?\] is at or above minCosPhi 0\.9/],
    ['a cos φ key that is not two decimals', (s: string) => s.replace("'0.89': 1.12", "'0.895': 1.12"), /tariffs\.yaml:\d+: reactivePower\[0\]\.kPercent/],
  ])('loadEnergyReference refuses %s, naming file, line and path', (_name, edit, want) => {
    const dir = seedDir('tariffs.yaml', edit)
    const e = seedErrorOf(() => loadEnergyReference(dir))
    expect(e.code).toBe('SHOPFLOOR_SEED_INVALID')
    expect(e.message).toMatch(want)
    expect(e.message.startsWith(join(dir, 'tariffs.yaml'))).toBe(true)
  })
})
