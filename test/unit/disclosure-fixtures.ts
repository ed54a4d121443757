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

const Q1 = ['2026-01', '2026-02', '2026-03']

/**
 * Successive releases: the factories of a quarter where vsip-1 × C14 is the cheaper complement of
 * bau-bang × C14 in January (4 factories) but not for the quarter (10 from February), so a quarter
 * solved afresh publishes what January hid.
 */
export function successiveReleases(): FactoryContribution[][] {
  const later = { '2026-02': 40, '2026-03': 40 }
  return [
    factory('early', 'bau-bang', 'C14', 40, Q1),
    ...[1, 2, 3].map((i) => factory(`late${i}`, 'bau-bang', 'C14', later, Q1)),
    ...[1, 2, 3, 4].map((i) => factory(`v${i}`, 'vsip-1', 'C14', 40, Q1)),
    ...[5, 6, 7, 8, 9, 10].map((i) => factory(`v${i}`, 'vsip-1', 'C14', later, Q1)),
    ...[1, 2, 3, 4, 5].map((i) => factory(`m${i}`, 'my-phuoc', 'C14', 40, Q1)),
    ...[1, 2, 3, 4].map((i) => factory(`z${i}`, 'bau-bang', 'C26', 40, Q1)),
    ...[1, 2, 3, 4].map((i) => factory(`y${i}`, 'vsip-1', 'C26', 40, Q1)),
    ...[1, 2, 3, 4].map((i) => factory(`w${i}`, 'my-phuoc', 'C26', 40, Q1)),
  ]
}

const PARKS = ['vsip-1', 'my-phuoc', 'bau-bang', 'amata']
const SECTORS = ['C26', 'C14', 'C31']

/** A random quarter (seeded): 15–34 factories, one in ten large, some missing months, one in five without an energy meter. */
export function randomQuarter(seed0: number): DisclosureInput {
  let seed = seed0 * 7919
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
  const n = 15 + Math.floor(rnd() * 20)
  const factories: FactoryContribution[][] = []
  for (let i = 0; i < n; i++) {
    const sizes: Record<string, number> = {}
    const base = rnd() < 0.1 ? 100 : 10 + Math.floor(rnd() * 10)
    for (const m of Q1) if (rnd() > 0.15) sizes[m] = base + Math.floor(rnd() * 10)
    let rows = factory(`f${i}`, PARKS[Math.floor(rnd() * 3.5)] as string, SECTORS[Math.floor(rnd() * 3)] as string, sizes, Q1)
    if (rnd() < 0.2) rows = rows.map((r) => ({ ...r, kwh: 0, co2Kg: 0 }))
    factories.push(rows)
  }
  return input(...factories)
}
