/**
 * Crafted data for the disclosure tests: a structure of two regions, five parks and three
 * sectors, and factories whose monthly sums scale with one "size" number so a test can say
 * "this factory is 80 % of the cell" and mean it for every magnitude.
 */
import type { DisclosureInput, FactoryContribution, PublicationStructure, PublishedCell } from '../../api/analyst/index.ts'
import { cellKey } from '../../api/analyst/index.ts'

export const STRUCTURE: PublicationStructure = {
  regions: [
    { id: 'hcmc', parks: ['vsip-1', 'my-phuoc', 'bau-bang'] },
    { id: 'dong-nai', parks: ['amata', 'nhon-trach'] },
  ],
  sectors: [
    { vsic2025: 'C26', vsic2018: 'C26' },
    { vsic2025: 'C14', vsic2018: 'C14' },
    { vsic2025: 'C31', vsic2018: 'C31' },
  ],
}

const parkRegion = new Map(STRUCTURE.regions.flatMap((r) => r.parks.map((p) => [p, r.id] as const)))

/** One factory's monthly contributions; `size` per month (a number applies to every month). Integers throughout, so sums are exact. */
export function factory(id: string, park: string, sector: string, size: number | Readonly<Record<string, number>>, months: readonly string[] = ['2026-01']): FactoryContribution[] {
  const region = parkRegion.get(park)
  if (!region) throw new Error(`fixture: unknown park ${park}`)
  return months.flatMap((month) => {
    const s = typeof size === 'number' ? size : size[month]
    if (s === undefined) return []
    return [
      {
        factory: id,
        month,
        region,
        park,
        sector,
        plannedBusyS: 1000 * s,
        actualProductionS: 800 * s,
        idealProducedS: 700 * s,
        idealGoodS: 680 * s,
        produced: 10 * s,
        good: 9 * s,
        kwh: 50 * s,
        co2Kg: 33 * s,
        expectedS: 1100 * s,
        reportedS: 1050 * s,
      },
    ]
  })
}

export const input = (...factories: FactoryContribution[][]): DisclosureInput => ({ structure: STRUCTURE, contributions: factories.flat() })

/** The cell with these keys (`*` or omitted = all). */
export function cell(cells: readonly PublishedCell[], period: string, region = '*', park = '*', sector = '*'): PublishedCell {
  const key = `${period}|${region}|${park}|${sector}`
  const c = cells.find((x) => cellKey(x) === key)
  if (!c) throw new Error(`fixture: no cell ${key}`)
  return c
}

/** A published magnitude of a cell, or an error saying it is hidden (so an attack that reads a hidden value fails loudly). */
export function shown(c: PublishedCell, m: 'plannedBusyS' | 'good' | 'kwh' = 'plannedBusyS'): number {
  if (c.values === null) throw new Error(`fixture: ${cellKey(c)} is not published`)
  return c.values[m]
}

/** Cells that are published in any of several publications: what a reader holding all of them knows. */
export function merge(...lists: ReadonlyArray<readonly PublishedCell[]>): PublishedCell[] {
  const out = new Map<string, PublishedCell>()
  for (const list of lists)
    for (const c of list) {
      const prev = out.get(cellKey(c))
      if (!prev || (prev.values === null && c.values !== null)) out.set(cellKey(c), c)
    }
  return [...out.values()]
}
