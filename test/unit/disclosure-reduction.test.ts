/**
 * The reduction pass (api/analyst/reduce.ts) against over-suppression. The seeded structure (one
 * region, 18 parks, 10 divisions; twelve factories in three parks and three sectors, one or two
 * per park × sector cell) must publish its margins where the rules allow, and nothing the
 * reduction publishes may give the independent auditor a finding.
 */
import { describe, expect, it } from 'vitest'
import { auditPublication, cellKey, publicationStructure, publishTables, releasedYear, type FactoryContribution, type PublishedCell } from '../../api/analyst/index.ts'
import { factoriesOf } from '../../api/reference/index.ts'
import { HAND } from '../support/analyst-events.ts'
import { testReference } from '../support/api.ts'
import { randomQuarter } from './disclosure-fixtures.ts'

const reference = testReference()
const structure = publicationStructure(reference)
const config = reference.disclosure.config
const MONTHS = Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}`)

/** The twelve seeded factories over 2026, sizes 0.6–1.4 of a typical plant and ±10 % month to month; integer sums. */
function seededYear(): FactoryContribution[] {
  let seed = 7
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
  return factoriesOf(reference).flatMap((f) => {
    const size = 0.6 + rnd() * 0.8
    return MONTHS.map((month) => {
      const s = Math.round(size * (0.9 + rnd() * 0.2) * 1000)
      return {
        factory: f.path,
        month,
        region: f.region,
        park: f.park,
        sector: f.sector?.division ?? '',
        plannedBusyS: 500 * s,
        actualProductionS: 420 * s,
        idealProducedS: 380 * s,
        idealGoodS: 370 * s,
        produced: 40 * s,
        good: 38 * s,
        kwh: 20 * s,
        co2Kg: 13 * s,
        expectedS: 560 * s,
        reportedS: 540 * s,
      }
    })
  })
}

type Kind = 'grand' | 'region' | 'park' | 'sector' | 'park × sector'
const kindOf = (c: PublishedCell): Kind =>
  c.park !== null ? (c.sector === null ? 'park' : 'park × sector') : c.sector !== null ? 'sector' : c.region === null ? 'grand' : 'region'

/** Non-empty cells by kind and status: `published/primary/secondary`. */
function counts(cells: readonly PublishedCell[]): Record<Kind | 'all', string> {
  const out: Record<string, [number, number, number]> = {}
  for (const c of cells.filter((x) => x.factories > 0))
    for (const k of [kindOf(c), 'all']) {
      const row = (out[k] ??= [0, 0, 0])
      row[c.values !== null ? 0 : c.suppressed === 'primary' ? 1 : 2]++
    }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.join('/')])) as Record<Kind | 'all', string>
}

describe('disclosure reduction', () => {
  it('seeded structure, a year of twelve factories: every margin published, only the park × sector cells (1–2 factories) hidden, and the auditor finds nothing', { timeout: 120_000 }, () => {
    const data = seededYear()
    const released = releasedYear(structure, data, config, 2026, '2026-12')
    expect(released).toHaveLength(17 * 20 * 11)
    // published/primary/secondary of the 340 non-empty cells (17 periods × 5 geographies × 4 sectors).
    expect(counts(released)).toEqual({
      all: '187/153/0',
      grand: '17/0/0',
      region: '17/0/0',
      park: '51/0/0',
      sector: '102/0/0',
      'park × sector': '0/153/0',
    })
    // The hypercubes alone (one solve of the year, no reduction) hid every park total and most grand totals.
    const before = publishTables({ structure, contributions: data }, config, { reduce: false })
    expect(counts(before.cells)).toMatchObject({ all: '66/153/121', grand: '5/0/12', park: '0/0/51' })
    expect(auditPublication(released, { structure, contributions: data }, config).findings).toEqual([])
  })

  it('seeded structure, the hand-made months of the analyst route test: each period shows the grand total, one park and one sector beside the crafted weak cells, and every cell still hidden is needed', { timeout: 120_000 }, () => {
    const data = { structure, contributions: HAND }
    const released = releasedYear(structure, HAND, config, 2026, '2026-03')
    expect(counts(released)).toEqual({
      all: '15/36/9',
      grand: '3/0/0',
      region: '3/0/0',
      park: '3/3/3',
      sector: '6/6/6',
      'park × sector': '0/27/0',
    })
    // The same park and sector are shown each month, so the quarter's are shown too.
    const shown = released.filter((c) => c.values !== null && c.factories > 0 && (c.park === null) !== (c.sector === null)).map(cellKey).sort()
    expect(shown).toEqual([
      '2026-01|*|*|31', '2026-01|hcmc|*|31', '2026-01|hcmc|vsip-1|*',
      '2026-02|*|*|31', '2026-02|hcmc|*|31', '2026-02|hcmc|vsip-1|*',
      '2026-Q1|*|*|31', '2026-Q1|hcmc|*|31', '2026-Q1|hcmc|vsip-1|*',
    ])
    expect(auditPublication(released, data, config).findings).toEqual([])
    // Minimal: showing any one of the remaining complements gives the auditor a finding.
    const truth = new Map(publishTables(data, config, { secondary: false }).cells.map((c) => [cellKey(c), c]))
    const complements = released.filter((c) => c.suppressed === 'secondary')
    expect(complements).toHaveLength(9)
    for (const c of complements) {
      const revealed = released.map((x) => (x === c ? { ...x, suppressed: null, values: truth.get(cellKey(x))?.values ?? null } : x))
      expect(revealed.find((x) => cellKey(x) === cellKey(c))?.values, cellKey(c)).not.toBeNull()
      expect(auditPublication(revealed, data, config).findings.length, cellKey(c)).toBeGreaterThan(0)
    }
  })

  it('fuzz: the reduction only publishes cells the hypercubes hid, publishes some in every seed, and never one the auditor flags', { timeout: 120_000 }, () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const data = randomQuarter(seed)
      const without = publishTables(data, {}, { reduce: false })
      const reduced = publishTables(data)
      const before = new Map(without.cells.map((c) => [cellKey(c), c]))
      let republished = 0
      for (const c of reduced.cells) {
        const b = before.get(cellKey(c)) as PublishedCell
        if (b.values !== null) expect(c, cellKey(c)).toEqual(b)
        else if (c.values !== null) {
          expect(b.suppressed, cellKey(c)).toBe('secondary')
          republished++
        }
        if (b.suppressed === 'primary') expect(c.suppressed, cellKey(c)).toBe('primary')
      }
      expect(republished, `seed ${seed}`).toBeGreaterThan(0)
      expect(reduced.summary.secondary).toBe(without.summary.secondary - republished)
      expect(auditPublication(reduced.cells, data).findings, `seed ${seed}`).toEqual([])
    }
  })
})
