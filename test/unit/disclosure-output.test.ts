import { describe, expect, expectTypeOf, it } from 'vitest'
import { DisclosureError, publishTables, tableCells, type FactoryContribution, type Publication, type PublishedCell } from '../../api/analyst/index.ts'
import { cell, factory, input, STRUCTURE } from './disclosure-fixtures.ts'

/** Every key at any depth of a type (through arrays and objects). */
type DeepKeys<T> = T extends readonly (infer E)[] ? DeepKeys<E> : T extends object ? { [K in keyof T]-?: K | DeepKeys<T[K]> }[keyof T] : never

const four = (prefix: string, park: string, sector: string, base: number) => [0, 1, 2, 3].map((i) => factory(`${prefix}${i}`, park, sector, base + (i % 2)))

describe('published output', () => {
  it('output type has no field that names or identifies a factory', () => {
    type Keys = DeepKeys<Publication>
    expectTypeOf<Extract<Keys, 'factory' | 'factoryPath' | 'factoryId' | 'name' | 'path' | 'id' | 'contributors'>>().toEqualTypeOf<never>()
    // The count is the only factory-related field.
    expectTypeOf<Extract<Keys, `factor${string}`>>().toEqualTypeOf<'factories'>()
  })

  it('output carries no factory identifier anywhere, suppressed or not', () => {
    const secret = (i: number) => `hcmc/vsip-1/secret-factory-${i}`
    const data = input(
      factory(secret(1), 'vsip-1', 'C26', 50),
      factory(secret(2), 'vsip-1', 'C26', 10),
      ...four('hcmc/my-phuoc/other-', 'my-phuoc', 'C26', 10),
      ...four('hcmc/vsip-1/third-', 'vsip-1', 'C14', 10),
    )
    const text = JSON.stringify(publishTables(data))
    expect(text).not.toMatch(/secret-factory|other-|third-/)
    const fields = new Set(publishTables(data).cells.flatMap((c) => Object.keys(c)))
    expect([...fields].sort()).toEqual(['factories', 'park', 'period', 'periodKind', 'region', 'sector', 'sectorVsic2018', 'suppressed', 'values'])
  })

  it('published ratios come from summed seconds, never from averaged percentages', () => {
    const base = { month: '2026-01', region: 'hcmc', park: 'vsip-1', sector: 'C26', produced: 100, good: 100, kwh: 10, co2Kg: 6, expectedS: 1000, reportedS: 1000 }
    const f = (factory: string, pbt: number, idealGood: number): FactoryContribution => ({
      ...base,
      factory,
      plannedBusyS: pbt,
      actualProductionS: pbt,
      idealProducedS: idealGood,
      idealGoodS: idealGood,
    })
    // KPI.md's example: 480 min at 85 %, 120 min at 40 %; a third factory makes the cell publishable.
    const data = { structure: STRUCTURE, contributions: [f('a', 480 * 60, 408 * 60), f('b', 120 * 60, 48 * 60), f('c', 400 * 60, 300 * 60)] }
    const values = cell(publishTables(data, { dominance: [{ n: 1, k: 50 }] }).cells, '2026-01', 'hcmc', 'vsip-1', 'C26').values
    expect(values?.oee).toBeCloseTo((408 + 48 + 300) / (480 + 120 + 400), 12)
    expect(values?.oee).not.toBeCloseTo((0.85 + 0.4 + 0.75) / 3, 3)
    expect(values?.plannedBusyS).toBe(1000 * 60)
    expect(values?.kwhPerGoodUnit).toBeCloseTo(30 / 300, 12)
    expect(values?.co2KgPerGoodUnit).toBeCloseTo(18 / 300, 12)
    expect(values?.completeness).toBe(1)
  })

  it('quarter and year cells are the sums of their months, with each factory counted once', () => {
    const months = ['2026-01', '2026-02', '2026-04']
    const data = input(...[0, 1, 2, 3].map((i) => factory(`f${i}`, 'vsip-1', 'C26', 10 + i, months)))
    const cells = publishTables(data).cells
    const pbt = (period: string) => cell(cells, period, 'hcmc', 'vsip-1', 'C26').values?.plannedBusyS
    expect(pbt('2026-Q1')).toBe((pbt('2026-01') ?? 0) + (pbt('2026-02') ?? 0))
    expect(pbt('2026')).toBe((pbt('2026-Q1') ?? 0) + (pbt('2026-Q2') ?? 0))
    expect(cell(cells, '2026', 'hcmc', 'vsip-1', 'C26').factories).toBe(4)
    expect(cells.some((c) => c.period === '2026-03' || c.period === '2026-Q3')).toBe(false)
  })

  it('empty cells are listed with no factories, no values and no mark', () => {
    const data = input(...four('f', 'vsip-1', 'C26', 10))
    const empty = cell(publishTables(data).cells, '2026-01', 'dong-nai', 'amata', 'C14')
    expect(empty).toEqual({ period: '2026-01', periodKind: 'month', region: 'dong-nai', park: 'amata', sector: 'C14', sectorVsic2018: 'C14', factories: 0, suppressed: null, values: null })
  })

  it('tableCells gives each fixed shape with its margins', () => {
    const cells = publishTables(input(...four('f', 'vsip-1', 'C26', 10))).cells
    // 2 regions with 3 + 2 parks, 3 sectors.
    expect(tableCells(cells, 'region-park', '2026-01')).toHaveLength(1 + 2 + 5)
    expect(tableCells(cells, 'region-sector', '2026-01')).toHaveLength((1 + 2) * (1 + 3))
    expect(tableCells(cells, 'park-sector', '2026-01')).toHaveLength((1 + 5) * (1 + 3))
    expect(tableCells(cells, 'park-sector', '2026-01').every((c) => c.region === null || c.park !== null)).toBe(true)
  })

  it('configuration limits the output to the configured shapes and periods', () => {
    const cells = publishTables(input(...four('f', 'vsip-1', 'C26', 10)), { tables: ['region-park'], periods: ['quarter'] }).cells
    expect(new Set(cells.map((c) => c.period))).toEqual(new Set(['2026-Q1']))
    expect(cells.every((c) => c.sector === null)).toBe(true)
    expect(cells).toHaveLength(1 + 2 + 5)
  })

  it('years are published independently, each with its own year cells', () => {
    const data = input(...[0, 1, 2, 3].map((i) => factory(`f${i}`, 'vsip-1', 'C26', 10, ['2025-12', '2026-01'])))
    const periods = new Set(publishTables(data).cells.map((c) => c.period))
    expect(periods).toEqual(new Set(['2025', '2025-Q4', '2025-12', '2026', '2026-Q1', '2026-01']))
  })

  const bad: Array<[string, (c: FactoryContribution) => FactoryContribution, RegExp]> = [
    ['an unknown park', (c) => ({ ...c, park: 'nowhere' }), /contributions\[0\]\.park "nowhere" is not a park of region "hcmc"/],
    ['a park of another region', (c) => ({ ...c, park: 'amata' }), /contributions\[0\]\.park "amata" is not a park of region "hcmc"/],
    ['an unknown region', (c) => ({ ...c, region: 'hanoi' }), /contributions\[0\]\.region "hanoi" is not in the structure/],
    ['an unknown sector', (c) => ({ ...c, sector: 'C99' }), /contributions\[0\]\.sector "C99" is not in the structure \(known: C26, C14, C31\)/],
    ['a malformed month', (c) => ({ ...c, month: '2026-13' }), /contributions\[0\]\.month must be YYYY-MM \(got "2026-13"\)/],
    ['a negative kWh', (c) => ({ ...c, kwh: -1 }), /contributions\[0\]\.kwh must be a finite number >= 0 \(got -1\)/],
    ['a NaN', (c) => ({ ...c, plannedBusyS: Number.NaN }), /contributions\[0\]\.plannedBusyS must be a finite number >= 0/],
    ['an empty factory key', (c) => ({ ...c, factory: '' }), /contributions\[0\]\.factory must be a non-empty string/],
  ]
  for (const [what, change, message] of bad) {
    it(`input with ${what} is refused with SHOPFLOOR_ANALYST_INPUT_INVALID`, () => {
      const [first, ...rest] = factory('f0', 'vsip-1', 'C26', 10).concat(factory('f1', 'vsip-1', 'C26', 10))
      const run = () => publishTables({ structure: STRUCTURE, contributions: [change(first as FactoryContribution), ...rest] })
      expect(run).toThrow(DisclosureError)
      expect(run).toThrow(message)
    })
  }

  it('input with one factory twice in a month is refused (sum it first)', () => {
    const run = () => publishTables(input(factory('f0', 'vsip-1', 'C26', 10), factory('f0', 'vsip-1', 'C26', 12)))
    expect(run).toThrow(/contributions\[1\]: a factory has two contributions for 2026-01/)
  })

  it('structure with a park listed twice is refused', () => {
    const structure = { ...STRUCTURE, regions: [{ id: 'hcmc', parks: ['vsip-1', 'vsip-1'] }] }
    expect(() => publishTables({ structure, contributions: [] })).toThrow(/structure\.regions\[0\]\.parks\[1\] "vsip-1" is listed twice/)
  })

  it('no contributions publish nothing', () => {
    expect(publishTables(input()).cells).toEqual([] as PublishedCell[])
  })
})
