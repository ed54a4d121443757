/**
 * The linked table of one year: every published cell is a cell of a three-dimensional table
 * time × geography × sector, each dimension a hierarchy (year > quarter > month; all > region >
 * park; all > sector). Every parent is the sum of its children in every dimension, which is
 * exactly what links the published tables: a park's total and its sector cells, a region's
 * sector cell and its parks' ones, a quarter and its months.
 */
import { DisclosureError } from './errors.ts'
import type { DisclosureConfig } from './config.ts'
import { MAGNITUDES, type FactoryContribution, type Magnitude, type PeriodKind, type PublicationStructure } from './types.ts'

export interface DimNode {
  /** Period key, region/park id or sector code; null for the "all" root of geography and sector. */
  readonly key: string | null
  readonly parent: number
  readonly children: readonly number[]
  readonly depth: number
}

export interface Dimension {
  readonly nodes: readonly DimNode[]
  /** Leaves under each node (the node itself for a leaf). */
  readonly leavesUnder: readonly (readonly number[])[]
  readonly leaves: readonly number[]
}

interface NodeSpec {
  readonly key: string | null
  readonly children: readonly NodeSpec[]
}

function buildDimension(root: NodeSpec): Dimension {
  const nodes: DimNode[] = []
  const add = (spec: NodeSpec, parent: number, depth: number): number => {
    const id = nodes.length
    const children: number[] = []
    nodes.push({ key: spec.key, parent, children, depth })
    for (const c of spec.children) children.push(add(c, id, depth + 1))
    return id
  }
  add(root, -1, 0)
  const leavesUnder: number[][] = nodes.map(() => [])
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i] as DimNode
    if (n.children.length === 0) (leavesUnder[i] as number[]).push(i)
    if (n.parent >= 0) (leavesUnder[n.parent] as number[]).unshift(...(leavesUnder[i] as number[]))
  }
  for (const l of leavesUnder) l.sort((a, b) => a - b)
  return { nodes, leavesUnder, leaves: nodes.flatMap((n, i) => (n.children.length === 0 ? [i] : [])) }
}

/** Status of a cell while the pattern is built. Known cells: EMPTY, PUBLISHED. Unknown: the rest. */
export const EMPTY = 0
export const PUBLISHED = 1
/** Not in any configured table: unknown to readers, suppressed at no cost. */
export const WITHHELD = 2
export const PRIMARY = 3
export const SECONDARY = 4

export const isUnknown = (status: number): boolean => status >= WITHHELD

export interface Cube {
  readonly year: string
  /** 0 = time, 1 = geography, 2 = sector. */
  readonly dims: readonly [Dimension, Dimension, Dimension]
  readonly size: number
  /** For geography nodes: the region and park they stand for. */
  readonly geoKey: ReadonlyArray<{ readonly region: string | null; readonly park: string | null }>
  readonly sectorVsic2018: ReadonlyArray<string | null>
  readonly periodKind: readonly PeriodKind[]
  /** Distinct reporting factories per cell. */
  readonly factories: Int32Array
  readonly totals: Readonly<Record<Magnitude, Float64Array>>
  /** Per cell: each factory's sums of the protected magnitudes (config order). Internal to the rules. */
  readonly contributors: ReadonlyArray<ReadonlyMap<string, Float64Array> | undefined>
  /** Whether a configured table (shape and period kind) shows the cell. */
  readonly shown: Uint8Array
  idx(t: number, g: number, s: number): number
  coords(i: number): [number, number, number]
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/

/** Checks the structure and the contributions; groups the contributions by year. Throws SHOPFLOOR_ANALYST_INPUT_INVALID. */
export function checkInput(structure: PublicationStructure, contributions: readonly FactoryContribution[]): Map<string, FactoryContribution[]> {
  const bad = (msg: string): never => {
    throw new DisclosureError('SHOPFLOOR_ANALYST_INPUT_INVALID', msg)
  }
  const parks = new Set<string>()
  const regions = new Set<string>()
  for (const [i, r] of structure.regions.entries()) {
    if (!r.id) bad(`structure.regions[${i}].id is empty`)
    if (regions.has(r.id)) bad(`structure.regions[${i}].id "${r.id}" is listed twice`)
    regions.add(r.id)
    for (const [j, p] of r.parks.entries()) {
      if (!p) bad(`structure.regions[${i}].parks[${j}] is empty`)
      if (parks.has(`${r.id}/${p}`)) bad(`structure.regions[${i}].parks[${j}] "${p}" is listed twice in region "${r.id}"`)
      parks.add(`${r.id}/${p}`)
    }
  }
  const sectors = new Set<string>()
  for (const [i, s] of structure.sectors.entries()) {
    if (!s.vsic2025) bad(`structure.sectors[${i}].vsic2025 is empty`)
    if (sectors.has(s.vsic2025)) bad(`structure.sectors[${i}].vsic2025 "${s.vsic2025}" is listed twice`)
    sectors.add(s.vsic2025)
  }
  const byYear = new Map<string, FactoryContribution[]>()
  const seen = new Set<string>()
  for (const [i, c] of contributions.entries()) {
    const at = `contributions[${i}]`
    if (typeof c.factory !== 'string' || c.factory.length === 0) bad(`${at}.factory must be a non-empty string`)
    const m = MONTH.exec(c.month)
    if (!m) bad(`${at}.month must be YYYY-MM (got ${JSON.stringify(c.month)})`)
    if (!regions.has(c.region)) bad(`${at}.region "${c.region}" is not in the structure (known: ${[...regions].join(', ')})`)
    if (!parks.has(`${c.region}/${c.park}`)) bad(`${at}.park "${c.park}" is not a park of region "${c.region}"`)
    if (!sectors.has(c.sector)) bad(`${at}.sector "${c.sector}" is not in the structure (known: ${[...sectors].join(', ')})`)
    for (const k of MAGNITUDES) {
      const v = c[k]
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) bad(`${at}.${k} must be a finite number >= 0 (got ${JSON.stringify(v)})`)
    }
    const key = `${c.factory}\u0000${c.month}`
    if (seen.has(key)) bad(`${at}: a factory has two contributions for ${c.month}; add them up first`)
    seen.add(key)
    const year = (m as RegExpExecArray)[1] as string
    let list = byYear.get(year)
    if (!list) byYear.set(year, (list = []))
    list.push(c)
  }
  return byYear
}

const quarterOf = (month: string): string => `${month.slice(0, 4)}-Q${Math.floor((Number(month.slice(5, 7)) - 1) / 3) + 1}`

/** Builds the linked table of one year from its contributions (already checked by {@link checkInput}). */
export function buildCube(year: string, structure: PublicationStructure, contributions: readonly FactoryContribution[], config: DisclosureConfig): Cube {
  const months = [...new Set(contributions.map((c) => c.month))].sort()
  const quarters = [...new Set(months.map(quarterOf))].sort()
  const time = buildDimension({
    key: year,
    children: quarters.map((q) => ({ key: q, children: months.filter((m) => quarterOf(m) === q).map((m) => ({ key: m, children: [] })) })),
  })
  const geo = buildDimension({
    key: null,
    children: structure.regions.map((r) => ({ key: r.id, children: r.parks.map((p) => ({ key: p, children: [] })) })),
  })
  const sector = buildDimension({ key: null, children: structure.sectors.map((s) => ({ key: s.vsic2025, children: [] })) })
  const geoKey = geo.nodes.map((n) =>
    n.depth === 0 ? { region: null, park: null } : n.depth === 1 ? { region: n.key, park: null } : { region: (geo.nodes[n.parent] as DimNode).key, park: n.key },
  )
  const sectorVsic2018 = sector.nodes.map((n) => (n.depth === 0 ? null : (structure.sectors.find((s) => s.vsic2025 === n.key)?.vsic2018 ?? null)))
  const periodKind: PeriodKind[] = time.nodes.map((n) => (n.depth === 0 ? 'year' : n.depth === 1 ? 'quarter' : 'month'))
  const nT = time.nodes.length
  const nG = geo.nodes.length
  const nS = sector.nodes.length
  const size = nT * nG * nS
  const idx = (t: number, g: number, s: number): number => (t * nG + g) * nS + s
  const coords = (i: number): [number, number, number] => [Math.floor(i / (nG * nS)), Math.floor(i / nS) % nG, i % nS]

  const timeLeaf = new Map(time.nodes.map((n, i) => [n.key, i]))
  const geoLeaf = new Map(geo.nodes.flatMap((n, i) => (n.depth === 2 ? [[`${geoKey[i]?.region}/${n.key}`, i] as const] : [])))
  const sectorLeaf = new Map(sector.nodes.map((n, i) => [n.key, i]))
  const up = (dim: Dimension, leaf: number): number[] => {
    const path: number[] = []
    for (let n = leaf; n >= 0; n = (dim.nodes[n] as DimNode).parent) path.push(n)
    return path
  }

  const totals = Object.fromEntries(MAGNITUDES.map((m) => [m, new Float64Array(size)])) as Record<Magnitude, Float64Array>
  const contributors: Array<Map<string, Float64Array> | undefined> = new Array(size)
  const protectedMags = config.magnitudes
  for (const c of contributions) {
    const ts = up(time, timeLeaf.get(c.month) as number)
    const gs = up(geo, geoLeaf.get(`${c.region}/${c.park}`) as number)
    const ss = up(sector, sectorLeaf.get(c.sector) as number)
    for (const t of ts)
      for (const g of gs)
        for (const s of ss) {
          const i = idx(t, g, s)
          for (const m of MAGNITUDES) totals[m][i] = (totals[m][i] as number) + c[m]
          let map = contributors[i]
          if (!map) contributors[i] = map = new Map()
          let own = map.get(c.factory)
          if (!own) map.set(c.factory, (own = new Float64Array(protectedMags.length)))
          for (const [k, m] of protectedMags.entries()) own[k] = (own[k] as number) + c[m]
        }
  }
  const factories = new Int32Array(size)
  for (let i = 0; i < size; i++) factories[i] = contributors[i]?.size ?? 0

  const shown = new Uint8Array(size)
  const periods = new Set(config.periods)
  const tables = new Set(config.tables)
  for (let i = 0; i < size; i++) {
    const [t, g, s] = coords(i)
    if (!periods.has(periodKind[t] as PeriodKind)) continue
    const gd = (geo.nodes[g] as DimNode).depth // 0 all, 1 region, 2 park
    const sd = (sector.nodes[s] as DimNode).depth // 0 all, 1 sector
    if ((tables.has('region-park') && sd === 0) || (tables.has('region-sector') && gd !== 2) || (tables.has('park-sector') && gd !== 1)) shown[i] = 1
  }
  return { year, dims: [time, geo, sector], size, geoKey, sectorVsic2018, periodKind, factories, totals, contributors, shown, idx, coords }
}

/**
 * The relations (parent = Σ children) a cell takes part in, each as the parent cell's index and
 * the dimension it sums along: a relation is identified by (dimension, parent cell).
 */
export function relationsOf(cube: Cube, i: number): Array<{ dim: number; parent: number }> {
  const c = cube.coords(i)
  const out: Array<{ dim: number; parent: number }> = []
  for (let d = 0; d < 3; d++) {
    const node = cube.dims[d]?.nodes[c[d] as number] as DimNode
    if (node.children.length > 0) out.push({ dim: d, parent: i })
    if (node.parent >= 0) {
      const p: [number, number, number] = [c[0], c[1], c[2]]
      p[d] = node.parent
      out.push({ dim: d, parent: cube.idx(p[0], p[1], p[2]) })
    }
  }
  return out
}

/** The children cells of a relation (the parent cell summed along `dim`). */
export function childrenOf(cube: Cube, dim: number, parent: number): number[] {
  const c = cube.coords(parent)
  const node = cube.dims[dim]?.nodes[c[dim] as number] as DimNode
  return node.children.map((ch) => {
    const p: [number, number, number] = [c[0], c[1], c[2]]
    p[dim] = ch
    return cube.idx(p[0], p[1], p[2])
  })
}
