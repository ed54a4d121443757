/**
 * Random quarters of data (seeded, so a failure replays) published by the engine and attacked by
 * the independent auditor: every sensitive cell must come out hidden and protected, under the
 * default configuration and under variants (fewer shapes, quarters withheld, stricter rules).
 * The same data with primary suppression only must leak, or the auditor is not looking.
 */
import { describe, expect, it } from 'vitest'
import { auditPublication, publishTables, resolveDisclosureConfig } from '../../api/analyst/index.ts'
import { buildCube, checkInput } from '../../api/analyst/cube.ts'
import { primarySuppression } from '../../api/analyst/rules.ts'
import { secondarySuppression } from '../../api/analyst/secondary.ts'
import { randomQuarter } from './disclosure-fixtures.ts'

const variants: Array<[string, Record<string, unknown>]> = [
  ['defaults', {}],
  ['region × sector only', { tables: ['region-sector'] }],
  ['months and year, quarters withheld', { periods: ['month', 'year'] }],
  ['stricter rules', { minFirms: 4, dominance: [{ n: 1, k: 40 }, { n: 3, k: 80 }] }],
]

describe('disclosure fuzz', () => {
  for (const seed of [1, 2, 3, 4]) {
    for (const [name, config] of variants) {
      it(`fuzz seed ${seed}, ${name}: the auditor finds nothing`, { timeout: 60_000 }, () => {
        const data = randomQuarter(seed)
        const pub = publishTables(data, config)
        expect(pub.summary.primary).toBeGreaterThan(0)
        expect(auditPublication(pub.cells, data, config).findings).toEqual([])
      })
    }
  }

  it('fuzz: without secondary suppression the auditor finds disclosures in every seed', { timeout: 60_000 }, () => {
    for (const seed of [1, 2, 3, 4]) {
      const data = randomQuarter(seed)
      const findings = auditPublication(publishTables(data, {}, { secondary: false }).cells, data).findings
      expect(findings.filter((f) => f.kind === 'exact').length).toBeGreaterThan(0)
    }
  })

  it('fuzz: the LP path (cells no single hypercube protects) is exercised and its results audited above', () => {
    const data = randomQuarter(1)
    const cfg = resolveDisclosureConfig()
    const cube = buildCube('2026', data.structure, checkInput(data.structure, data.contributions).get('2026') ?? [], cfg)
    const { status, requirements } = primarySuppression(cube, cfg)
    expect(secondarySuppression(cube, status, requirements, cfg).lpChecked).toBeGreaterThan(0)
  })
})
