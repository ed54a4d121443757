/**
 * Attacks on the published tables. Each case is crafted so that one factory's figures can be
 * read from the tables when a protection is missing (the attack is carried out and recovers the
 * factory's true value), and each must stay hidden with the engine's full protection (the
 * independent auditor finds no sensitive cell it can pin down, nor bound tighter than required).
 */
import { describe, expect, it } from 'vitest'
import { auditPublication, cellKey, publishTables, type PublishedCell } from '../../api/analyst/index.ts'
import { cell, factory, input, merge, shown, successiveReleases } from './disclosure-fixtures.ts'

const Q1 = ['2026-01', '2026-02', '2026-03']

/** Findings of the auditor about one cell. */
const findingsAt = (cells: readonly PublishedCell[], data: ReturnType<typeof input>, key: string) =>
  auditPublication(cells, data).findings.filter((f) => f.cell === key)

/**
 * Cells of four factories of similar size (largest 28 %, two largest 53 %): publishable on their
 * own. Park vsip-1 gets C14 and C31 (its C26 cell is the test's), park my-phuoc all three sectors.
 */
const four = (prefix: string, park: string, sector: string, base: number) => [0, 1, 2, 3].map((i) => factory(`${prefix}${i}`, park, sector, base + (i % 2)))
const neighbours = () => [...four('n', 'vsip-1', 'C14', 10), ...four('o', 'vsip-1', 'C31', 8), ...four('m', 'my-phuoc', 'C26', 10), ...four('p', 'my-phuoc', 'C14', 12), ...four('q', 'my-phuoc', 'C31', 9)]

describe('disclosure attacks', () => {
  it('one factory dominating a cell (80 %) is read by differencing without secondary suppression, and stays hidden with it', () => {
    // my-phuoc's C26 cell is large, so the sector total is not dominated by "big" too.
    const data = input(factory('big', 'vsip-1', 'C26', 80), factory('s1', 'vsip-1', 'C26', 5), factory('s2', 'vsip-1', 'C26', 5), factory('s3', 'vsip-1', 'C26', 10), ...neighbours(), ...four('r', 'my-phuoc', 'C26', 30))
    const target = '2026-01|hcmc|vsip-1|C26'
    const truth = 100 * 1000 // the cell's planned busy seconds
    const open = publishTables(data, {}, { secondary: false }).cells
    expect(cell(open, '2026-01', 'hcmc', 'vsip-1', 'C26').suppressed).toBe('primary')
    // Attack: the park total minus its other sector cells.
    const recovered = shown(cell(open, '2026-01', 'hcmc', 'vsip-1')) - shown(cell(open, '2026-01', 'hcmc', 'vsip-1', 'C14')) - shown(cell(open, '2026-01', 'hcmc', 'vsip-1', 'C31'))
    expect(recovered).toBe(truth)
    // ... and small factory s3, knowing its own 10 000 s, has the big one's: 80 000 s.
    expect(recovered - 10_000 - 5_000 - 5_000).toBe(80_000)
    expect(findingsAt(open, data, target).map((f) => f.kind)).toContain('exact')

    const safe = publishTables(data).cells
    expect(cell(safe, '2026-01', 'hcmc', 'vsip-1', 'C26')).toMatchObject({ suppressed: 'primary', values: null, factories: 4 })
    const audit = auditPublication(safe, data)
    expect(audit.findings).toEqual([])
    // (1,50): the interval must reach 100/50 × 80 000 − 100 000 = 60 000 s above and below.
    const iv = audit.interval(target, 'plannedBusyS')
    expect(iv.max).toBeGreaterThanOrEqual(truth + 60_000)
    expect(iv.min).toBeLessThanOrEqual(truth - 60_000)
  })

  it('a cell of two factories cannot be read by one of them: primary by (2,67) and min firms, protected by secondary suppression', () => {
    const data = input(factory('a', 'vsip-1', 'C26', 30), factory('b', 'vsip-1', 'C26', 20), ...neighbours())
    const target = '2026-01|hcmc|vsip-1|C26'
    const open = publishTables(data, {}, { secondary: false }).cells
    // Attack by factory b: the sector margin minus the other parks, minus its own figure.
    const cellValue = shown(cell(open, '2026-01', '*', '*', 'C26')) - shown(cell(open, '2026-01', 'hcmc', 'my-phuoc', 'C26'))
    expect(cellValue - 20_000).toBe(30_000)
    expect(findingsAt(open, data, target).map((f) => f.kind)).toContain('exact')

    const safe = publishTables(data).cells
    expect(cell(safe, '2026-01', 'hcmc', 'vsip-1', 'C26').suppressed).toBe('primary')
    const audit = auditPublication(safe, data)
    expect(audit.findings).toEqual([])
    // min firms: ± the largest (30 000 s); (2,67): 100/67 × 50 000 − 50 000 ≈ 24 627 s. The larger holds.
    const iv = audit.interval(target, 'plannedBusyS')
    expect(iv.max - 50_000).toBeGreaterThanOrEqual(30_000)
    expect(50_000 - iv.min).toBeGreaterThanOrEqual(30_000)
    // What b can then say about a: somewhere in [min − 20 000, max − 20 000], at least 0 .. 60 000.
    expect(iv.min - 20_000).toBeLessThanOrEqual(0)
    expect(iv.max - 20_000).toBeGreaterThanOrEqual(60_000)
  })

  it('differencing a park total against its sector cells reveals a lone factory without secondary suppression, not with it', () => {
    const data = input(factory('alone', 'vsip-1', 'C26', 7), ...neighbours())
    const target = '2026-01|hcmc|vsip-1|C26'
    const open = publishTables(data, {}, { secondary: false }).cells
    const park = shown(cell(open, '2026-01', 'hcmc', 'vsip-1'))
    const others = shown(cell(open, '2026-01', 'hcmc', 'vsip-1', 'C14')) + shown(cell(open, '2026-01', 'hcmc', 'vsip-1', 'C31'))
    expect(park - others).toBe(7_000)
    expect(shown(cell(open, '2026-01', 'hcmc', 'vsip-1'), 'kwh') - shown(cell(open, '2026-01', 'hcmc', 'vsip-1', 'C14'), 'kwh') - shown(cell(open, '2026-01', 'hcmc', 'vsip-1', 'C31'), 'kwh')).toBe(350)
    expect(findingsAt(open, data, target).map((f) => f.kind)).toContain('exact')

    const safe = publishTables(data).cells
    const row = ['C14', 'C31'].map((s) => cell(safe, '2026-01', 'hcmc', 'vsip-1', s).suppressed)
    const parkTotal = cell(safe, '2026-01', 'hcmc', 'vsip-1').suppressed
    // The park row now holds a second unknown: another sector cell, or the total itself.
    expect([...row, parkTotal].filter((s) => s !== null).length).toBeGreaterThanOrEqual(1)
    expect(auditPublication(safe, data).findings).toEqual([])
  })

  it('differencing a region × sector cell against the park × sector table leaks when the tables are protected one by one, not when linked', () => {
    const data = input(
      factory('alone', 'vsip-1', 'C31', 20),
      factory('m1', 'my-phuoc', 'C31', 30),
      factory('m2', 'my-phuoc', 'C31', 31),
      factory('m3', 'my-phuoc', 'C31', 29),
      factory('m4', 'my-phuoc', 'C31', 30),
      // Three equal factories (two largest 66.7 %, under 67 %): publishable, and cheaper to suppress than my-phuoc's four.
      factory('a1', 'amata', 'C31', 25),
      factory('a2', 'amata', 'C31', 25),
      factory('a3', 'amata', 'C31', 25),
      factory('n1', 'vsip-1', 'C26', 30),
      factory('n2', 'vsip-1', 'C26', 31),
      factory('n3', 'vsip-1', 'C26', 29),
      factory('n4', 'vsip-1', 'C26', 30),
      factory('m5', 'my-phuoc', 'C26', 30),
      factory('m6', 'my-phuoc', 'C26', 31),
      factory('m7', 'my-phuoc', 'C26', 29),
      factory('m8', 'my-phuoc', 'C26', 28),
      factory('a4', 'amata', 'C26', 25),
      factory('a5', 'amata', 'C26', 25),
      factory('a6', 'amata', 'C26', 25),
    )
    const target = '2026-01|hcmc|vsip-1|C31'
    const parkSector = publishTables(data, { tables: ['park-sector'] }).cells
    const regionSector = publishTables(data, { tables: ['region-sector'] }).cells
    // Each table alone passes the audit...
    expect(auditPublication(parkSector, data).findings).toEqual([])
    expect(auditPublication(regionSector, data).findings).toEqual([])
    // ...but a reader holding both subtracts the region's other parks from the region's cell.
    const both = merge(parkSector, regionSector)
    const recovered = shown(cell(both, '2026-01', 'hcmc', '*', 'C31')) - shown(cell(both, '2026-01', 'hcmc', 'my-phuoc', 'C31'))
    expect(cell(both, '2026-01', 'hcmc', 'bau-bang', 'C31').factories).toBe(0)
    expect(recovered).toBe(20_000)
    expect(findingsAt(both, data, target).map((f) => f.kind)).toContain('exact')

    const linked = publishTables(data, { tables: ['park-sector', 'region-sector'] }).cells
    expect(cell(linked, '2026-01', 'hcmc', 'vsip-1', 'C31').suppressed).toBe('primary')
    expect(auditPublication(linked, data).findings).toEqual([])
  })

  it('a factory alone in a park for one month is read from the quarter minus the other months unless periods are linked', () => {
    const months = { '2026-01': 40, '2026-02': 40, '2026-03': 40 }
    const data = input(
      factory('early', 'bau-bang', 'C14', months, Q1),
      factory('late1', 'bau-bang', 'C14', { '2026-02': 50, '2026-03': 52 }, Q1),
      factory('late2', 'bau-bang', 'C14', { '2026-02': 45, '2026-03': 47 }, Q1),
      factory('late3', 'bau-bang', 'C14', { '2026-02': 41, '2026-03': 46 }, Q1),
      ...['x1', 'x2', 'x3', 'x4'].map((id, i) => factory(id, 'vsip-1', 'C14', 40 + (i % 2), Q1)),
      ...['y1', 'y2', 'y3', 'y4'].map((id, i) => factory(id, 'vsip-1', 'C26', 30 + (i % 2), Q1)),
      ...['z1', 'z2', 'z3', 'z4'].map((id, i) => factory(id, 'bau-bang', 'C26', 35 + (i % 2), Q1)),
    )
    const target = '2026-01|hcmc|bau-bang|C14'
    const monthly = publishTables(data, { periods: ['month'] }).cells
    const quarterly = publishTables(data, { periods: ['quarter'] }).cells
    expect(cell(monthly, '2026-01', 'hcmc', 'bau-bang', 'C14').suppressed).toBe('primary')
    expect(cell(quarterly, '2026-Q1', 'hcmc', 'bau-bang', 'C14').suppressed).toBeNull()
    const both = merge(monthly, quarterly)
    const recovered =
      shown(cell(both, '2026-Q1', 'hcmc', 'bau-bang', 'C14')) - shown(cell(both, '2026-02', 'hcmc', 'bau-bang', 'C14')) - shown(cell(both, '2026-03', 'hcmc', 'bau-bang', 'C14'))
    expect(recovered).toBe(40_000)
    expect(findingsAt(both, data, target).map((f) => f.kind)).toContain('exact')

    const linked = publishTables(data).cells
    expect(cell(linked, '2026-01', 'hcmc', 'bau-bang', 'C14').suppressed).toBe('primary')
    const audit = auditPublication(linked, data)
    expect(audit.findings).toEqual([])
    expect(audit.interval(target, 'plannedBusyS').min).toBeLessThanOrEqual(0)
  })

  it('a cell hidden by a second suppression in its row is still read through a sector margin; the engine covers the margin too', () => {
    const data = input(factory('alone', 'vsip-1', 'C26', 15), ...neighbours())
    const target = '2026-01|hcmc|vsip-1|C26'
    const open = publishTables(data, {}, { secondary: false }).cells
    // A naive rule: one more suppression in the park's row (same cells in the quarter and year tables, which equal January here).
    const rowOnly = open.map((c) => (c.park === 'vsip-1' && c.sector === 'C14' ? { ...c, suppressed: 'secondary' as const, values: null } : c))
    const rowAudit = auditPublication(rowOnly, data)
    // The row alone gives nothing: the park total minus C31 is only the sum of two unknowns...
    const rowDiff = shown(cell(rowOnly, '2026-01', 'hcmc', 'vsip-1')) - shown(cell(rowOnly, '2026-01', 'hcmc', 'vsip-1', 'C31'))
    expect(rowDiff).toBe(15_000 + 42_000)
    // ...but the sector margin minus the other park gives the lone factory.
    const viaMargin = shown(cell(rowOnly, '2026-01', '*', '*', 'C26')) - shown(cell(rowOnly, '2026-01', 'hcmc', 'my-phuoc', 'C26'))
    expect(viaMargin).toBe(15_000)
    expect(rowAudit.findings.filter((f) => f.cell === target).map((f) => f.kind)).toContain('exact')

    const safe = publishTables(data).cells
    expect(auditPublication(safe, data).findings).toEqual([])
    expect(cell(safe, '2026-01', '*', '*', 'C26').values === null || cell(safe, '2026-01', 'hcmc', 'my-phuoc', 'C26').values === null).toBe(true)
  })

  it('successive releases (January alone, then the quarter) leak when each picks its own complements, not when the second honours the first', () => {
    const all = successiveReleases()
    const data = input(...all)
    const january = publishTables(input(...all.map((f) => f.filter((c) => c.month === '2026-01')))).cells
    const heldFromFebruary = january.filter((c) => c.periodKind === 'month')
    const target = '2026-01|hcmc|bau-bang|C14'

    const naive = publishTables(data).cells
    expect(cell(january, '2026-01', 'hcmc', 'vsip-1', 'C14').suppressed).toBe('secondary')
    expect(cell(naive, '2026-01', 'hcmc', 'vsip-1', 'C14').suppressed).toBeNull()
    const both = merge(heldFromFebruary, naive)
    const recovered = shown(cell(both, '2026-01', 'hcmc', '*', 'C14')) - shown(cell(both, '2026-01', 'hcmc', 'vsip-1', 'C14')) - shown(cell(both, '2026-01', 'hcmc', 'my-phuoc', 'C14'))
    expect(recovered).toBe(40_000)
    expect(findingsAt(both, data, target).map((f) => f.kind)).toContain('exact')

    const second = publishTables(data, {}, { previous: january })
    expect(second.revisedSensitive).toEqual([])
    for (const c of heldFromFebruary) {
      const now = cell(second.cells, c.period, c.region ?? '*', c.park ?? '*', c.sector ?? '*')
      expect(now.values === null).toBe(c.values === null)
    }
    expect(auditPublication(merge(heldFromFebruary, second.cells), data).findings).toEqual([])
  })

  it('suppressed cells are listed with their mark and factory count, never left out', () => {
    const data = input(factory('alone', 'vsip-1', 'C26', 15), ...neighbours())
    const pub = publishTables(data)
    const keys = new Set(pub.cells.map(cellKey))
    // 3 periods (month, quarter, year, equal here) × 8 geography nodes × 4 sector nodes.
    expect(keys.size).toBe(3 * 8 * 4)
    for (const c of pub.cells) {
      if (c.suppressed !== null) expect(c.values).toBeNull()
      if (c.values === null) expect(c.suppressed !== null || c.factories === 0).toBe(true)
    }
    expect(pub.summary.primary).toBeGreaterThan(0)
    expect(pub.summary.secondary).toBeGreaterThan(0)
  })
})
