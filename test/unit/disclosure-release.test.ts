// What the analysts' route serves over time (api/analyst/release.ts) and the operator's file
// (api/seed/disclosure.yaml, api/analyst/settings.ts): months are released a few days after they
// end, quarters and years only once closed, and each monthly release is pinned by the earlier ones,
// so that an analyst who kept every answer learns nothing the latest one hides.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { auditPublication, cellKey, DISCLOSURE_DEFAULTS, lastReleasedMonth, loadDisclosureSettings, publicationStructure, releasedYear, sectorDivisions, type PublishedCell } from '../../api/analyst/index.ts'
import { DEFAULT_SEED_DIR, loadReference } from '../../api/reference/index.ts'
import { seedCopies, seedErrorOf } from '../support/seed.ts'
import { input, merge, STRUCTURE, successiveReleases } from './disclosure-fixtures.ts'

const seedDir = seedCopies('shopfloor-disclosure-seed-')

describe('disclosure.yaml', () => {
  it('disclosure.yaml as shipped holds the defaults and a 3-day release delay', () => {
    expect(loadDisclosureSettings(DEFAULT_SEED_DIR)).toEqual({ config: DISCLOSURE_DEFAULTS, releaseDelayDays: 3 })
    expect(loadReference(undefined, {}).disclosure.config.dominance).toEqual([
      { n: 1, k: 50 },
      { n: 2, k: 67 },
    ])
  })

  it('disclosure.yaml takes the operator\'s values', () => {
    const dir = seedDir('disclosure.yaml', (t) => t.replace('minFirms: 3', 'minFirms: 5').replace('releaseDelayDays: 3', 'releaseDelayDays: 10').replace('magnitudes: [plannedBusyS, good, kwh]', 'magnitudes: [plannedBusyS, good, kwh, idealGoodS]'))
    const s = loadDisclosureSettings(dir)
    expect(s.config.minFirms).toBe(5)
    expect(s.config.magnitudes).toContain('idealGoodS')
    expect(s.releaseDelayDays).toBe(10)
  })

  const bad: Array<{ name: string; edit: (t: string) => string; want: RegExp; line: string }> = [
    { name: 'an unknown key', edit: (t) => t.replace('minFirms: 3', 'minFirm: 3'), want: /disclosure\.yaml:\d+: minFirm is not a known key \(allowed: source, minFirms, dominance,/, line: 'minFirm: 3' },
    { name: 'a k above 100', edit: (t) => t.replace('{ n: 2, k: 67 }', '{ n: 2, k: 670 }'), want: /disclosure\.yaml:\d+: dominance\[1\]\.k must be/, line: '- { n: 2, k: 670 }' },
    { name: 'two rules with the same n', edit: (t) => t.replace('{ n: 2, k: 67 }', '{ n: 1, k: 67 }'), want: /disclosure\.yaml:\d+: dominance\[1\]\.n repeats n = 1 of entry \[0\]: give one k per n/, line: '- { n: 1, k: 67 }' },
    { name: 'an unknown magnitude', edit: (t) => t.replace('magnitudes: [plannedBusyS, good, kwh]', 'magnitudes: [plannedBusyS, output]'), want: /disclosure\.yaml:\d+: magnitudes\[1\] must be one of plannedBusyS, /, line: 'magnitudes: [plannedBusyS, output]' },
    { name: 'a table shape that is not published', edit: (t) => t.replace('tables: [region-park', 'tables: [factory'), want: /disclosure\.yaml:\d+: tables\[0\] must be one of region-park, region-sector, park-sector/, line: 'tables: [factory, region-sector, park-sector]' },
    { name: 'a negative release delay', edit: (t) => t.replace('releaseDelayDays: 3', 'releaseDelayDays: -1'), want: /disclosure\.yaml:\d+: releaseDelayDays must be/, line: 'releaseDelayDays: -1' },
  ]
  for (const c of bad) {
    it(`disclosure.yaml with ${c.name} stops loadReference, naming file, line and key`, () => {
      const dir = seedDir('disclosure.yaml', c.edit)
      const e = seedErrorOf(() => loadReference(dir, {}))
      expect(e.message).toMatch(c.want)
      expect(e.message.startsWith(join(dir, 'disclosure.yaml'))).toBe(true)
      const lines = readFileSync(join(dir, 'disclosure.yaml'), 'utf8').split('\n')
      expect(lines[(e.line as number) - 1]?.trim()).toBe(c.line)
    })
  }
})

describe('publication structure from the seed', () => {
  it('publication structure has every park of regions.yaml and the VSIC 2025 divisions of sectors.yaml, classes folded into them', () => {
    const ref = loadReference(undefined, {})
    const s = publicationStructure(ref)
    expect(s.regions.map((r) => r.id)).toEqual(ref.regions.map((r) => r.id))
    expect(s.regions.flatMap((r) => r.parks)).toEqual(ref.parks.map((p) => p.id))
    expect(s.sectors.map((x) => x.vsic2025)).toEqual(['13', '14', '15', '16', '22', '25', '26', '27', '28', '31'])
    expect(s.sectors.find((x) => x.vsic2025 === '26')).toEqual({ vsic2025: '26', vsic2018: '26' })
    expect(sectorDivisions(ref).find((x) => x.vsic2025 === '31')?.name).toBe('Manufacture of furniture')
  })
})

describe('release months', () => {
  // March 2026 ends at 1 April 00:00 in Ho Chi Minh City (31 March 17:00 UTC) and in Los Angeles at 07:00 UTC on 1 April.
  const cases: Array<{ now: string; zones: string[]; delay: number; want: string }> = [
    { now: '2026-04-03T16:59:59Z', zones: ['Asia/Ho_Chi_Minh'], delay: 3, want: '2026-02' },
    { now: '2026-04-03T17:00:00Z', zones: ['Asia/Ho_Chi_Minh'], delay: 3, want: '2026-03' },
    { now: '2026-03-31T17:00:00Z', zones: ['Asia/Ho_Chi_Minh'], delay: 0, want: '2026-03' },
    { now: '2026-04-04T06:59:59Z', zones: ['Asia/Ho_Chi_Minh', 'America/Los_Angeles'], delay: 3, want: '2026-02' },
    { now: '2026-04-04T07:00:00Z', zones: ['Asia/Ho_Chi_Minh', 'America/Los_Angeles'], delay: 3, want: '2026-03' },
    { now: '2026-01-02T00:00:00Z', zones: ['Asia/Ho_Chi_Minh'], delay: 3, want: '2025-11' },
  ]
  for (const c of cases) {
    it(`release of months at ${c.now} in ${c.zones.join(' + ')} with a ${c.delay}-day delay: through ${c.want}`, () => {
      expect(lastReleasedMonth(Date.parse(c.now), c.zones, c.delay)).toBe(c.want)
    })
  }
})

describe('released year', () => {
  const data = input(...successiveReleases())
  const through = (month: string): PublishedCell[] => releasedYear(STRUCTURE, data.contributions, DISCLOSURE_DEFAULTS, 2026, month)

  it('released year: a quarter only once its last month is released, the year only with December, no open period', () => {
    const periods = (cells: readonly PublishedCell[]) => [...new Set(cells.map((c) => c.period))].sort()
    expect(periods(through('2026-01'))).toEqual(['2026-01'])
    expect(periods(through('2026-02'))).toEqual(['2026-01', '2026-02'])
    expect(periods(through('2026-03'))).toEqual(['2026-01', '2026-02', '2026-03', '2026-Q1'])
    // Months without data after March: Q2 and the year come out with December, as the data stands.
    expect(periods(through('2026-12'))).toEqual(['2026', '2026-01', '2026-02', '2026-03', '2026-Q1'])
  })

  it('released year: each release keeps what the earlier ones showed and hid, and all of them together give the auditor nothing', () => {
    const jan = through('2026-01')
    const feb = through('2026-02')
    const mar = through('2026-03')
    for (const [earlier, later] of [
      [jan, feb],
      [feb, mar],
    ] as const) {
      const byKey = new Map(later.map((c) => [cellKey(c), c]))
      for (const c of earlier) expect(byKey.get(cellKey(c)), cellKey(c)).toEqual(c)
    }
    // January's cheap complement (vsip-1 × C14) stays hidden once the quarter comes out.
    expect(mar.find((c) => cellKey(c) === '2026-01|hcmc|vsip-1|C14')?.suppressed).toBe('secondary')
    expect(auditPublication(merge(jan, feb, mar), data).findings).toEqual([])
  })
})
