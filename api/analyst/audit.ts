/**
 * An independent auditor of a publication: it attacks the published cells the way a reader
 * could, and checks the result against the truth. It shares nothing with the engine but the
 * configuration and the output types (no cube, no hypercubes, no floating-point LP):
 *
 * - the truth of every cell is recomputed by filtering the raw contributions, and the primary
 *   rules are applied again to it;
 * - the reader's knowledge is derived from the published cells alone: every shown value is known,
 *   a cell with 0 factories is 0, every other cell (suppressed, or in no published table) is an
 *   unknown ≥ 0, and the relations are rebuilt from the cells' keys (a park lies in its region, a
 *   month in its quarter and year; a period or park not listed holds nothing);
 * - the smallest and largest value of each sensitive cell are computed exactly (rational simplex).
 *
 * A finding is a sensitive cell whose values are shown, or whose interval is a single point
 * (`exact`) or reaches less far than its required protection (`narrow`).
 */
import { resolveDisclosureConfig, type DisclosureConfig } from './config.ts'
import { add, ExactSystem, fromNumber, toNumber, type ExactRow, type Rational } from './audit-lp.ts'
import { cellKey, PUBLISHED_SUMS, type DisclosureInput, type FactoryContribution, type Magnitude, type PublishedCell, type PublishedValues } from './types.ts'

export interface AuditFinding {
  /** `period | region | park | sector`, `*` for "all". */
  readonly cell: string
  readonly magnitude: Magnitude | null
  readonly kind: 'published' | 'exact' | 'narrow' | 'unmarked'
  readonly value: number
  readonly min: number
  /** Infinity when unbounded. */
  readonly max: number
  readonly needBelow: number
  readonly needAbove: number
}

export interface AuditReport {
  readonly findings: readonly AuditFinding[]
  /** Sensitive cells the auditor found (published or not). */
  readonly sensitive: readonly string[]
  /** The reader's interval for any cell and magnitude (a known cell gives its value twice). */
  interval(cell: string, magnitude: Magnitude): { min: number; max: number }
}


interface Key {
  readonly period: string
  readonly region: string | null
  readonly park: string | null
  readonly sector: string | null
}

const quarterOfMonth = (m: string): string => `${m.slice(0, 4)}-Q${Math.ceil(Number(m.slice(5, 7)) / 3)}`

function inPeriod(month: string, period: string): boolean {
  if (/^\d{4}$/.test(period)) return month.startsWith(`${period}-`)
  if (/^\d{4}-Q[1-4]$/.test(period)) return quarterOfMonth(month) === period
  return month === period
}

const matches = (c: FactoryContribution, k: Key): boolean =>
  inPeriod(c.month, k.period) && (k.region === null || c.region === k.region) && (k.park === null || c.park === k.park) && (k.sector === null || c.sector === k.sector)

/** Protection the rules require for one magnitude of a set of contributions; undefined when not sensitive. */
function needOf(rows: readonly FactoryContribution[], m: Magnitude, config: DisclosureConfig): { above: number; below: number; total: number } | undefined {
  const perFactory = new Map<string, number>()
  for (const r of rows) perFactory.set(r.factory, (perFactory.get(r.factory) ?? 0) + r[m])
  const xs = [...perFactory.values()].sort((a, b) => b - a)
  const total = xs.reduce((a, b) => a + b, 0)
  const few = perFactory.size > 0 && perFactory.size < config.minFirms
  if (total <= 0) return few ? { above: 0, below: 0, total } : undefined
  let above = 0
  let hit = few
  if (few || xs.filter((x) => x > 0).length < config.minFirms) {
    hit = true
    above = Math.max(above, config.minFirmsProtection * (xs[0] ?? 0))
  }
  for (const { n, k } of config.dominance) {
    const top = xs.slice(0, n).reduce((a, b) => a + b, 0)
    if (top > (k / 100) * total) {
      hit = true
      above = Math.max(above, (100 / k) * top - total)
    }
  }
  return hit ? { above, below: Math.min(above, total), total } : undefined
}

/** Audits `cells` (a publication, or any merge of publications) against the contributions behind them. */
export function auditPublication(cells: readonly PublishedCell[], input: DisclosureInput, config: unknown = {}): AuditReport {
  const cfg = resolveDisclosureConfig(config)
  const shown = new Map(cells.map((c) => [cellKey(c), c]))

  // The reader's cube: every period, geography and sector node the keys reveal.
  const periods = new Set<string>()
  const geos = new Map<string, { region: string | null; park: string | null }>()
  const sectors = new Set<string | null>()
  for (const c of cells) {
    periods.add(c.period)
    if (/^\d{4}-\d{2}$/.test(c.period)) periods.add(quarterOfMonth(c.period))
    periods.add(c.period.slice(0, 4))
    geos.set(`${c.region ?? '*'}|${c.park ?? '*'}`, { region: c.region, park: c.park })
    if (c.park !== null) geos.set(`${c.region ?? '*'}|*`, { region: c.region, park: null })
    geos.set('*|*', { region: null, park: null })
    sectors.add(c.sector)
    sectors.add(null)
  }
  const keys: Key[] = []
  for (const period of periods) for (const g of geos.values()) for (const sector of sectors) keys.push({ period, region: g.region, park: g.park, sector })
  const index = new Map(keys.map((k, i) => [cellKey(k), i]))

  // Relations: parent = Σ children, along time, geography and sector.
  const relations: number[][] = []
  const childPeriods = (p: string): string[] =>
    /^\d{4}$/.test(p) ? [...periods].filter((q) => /^\d{4}-Q\d$/.test(q) && q.startsWith(p)) : /-Q/.test(p) ? [...periods].filter((m) => /^\d{4}-\d{2}$/.test(m) && quarterOfMonth(m) === p) : []
  for (const k of keys) {
    const groups: Key[][] = [
      childPeriods(k.period).map((period) => ({ ...k, period })),
      k.region === null
        ? [...geos.values()].filter((g) => g.region !== null && g.park === null).map((g) => ({ ...k, region: g.region, park: null }))
        : k.park === null
          ? [...geos.values()].filter((g) => g.region === k.region && g.park !== null).map((g) => ({ ...k, park: g.park }))
          : [],
      k.sector === null ? [...sectors].filter((s) => s !== null).map((sector) => ({ ...k, sector })) : [],
    ]
    for (const children of groups) if (children.length > 0) relations.push([index.get(cellKey(k)) as number, ...children.map((c) => index.get(cellKey(c)) as number)])
  }
  const relationsOfCell = keys.map((): number[] => [])
  for (const [r, rel] of relations.entries()) for (const v of rel) relationsOfCell[v]?.push(r)

  const knownValue = (i: number, m: Magnitude): number | undefined => {
    const c = shown.get(cellKey(keys[i] as Key))
    if (!c) return undefined
    if (c.factories === 0) return 0
    if (c.values === null || !(PUBLISHED_SUMS as readonly string[]).includes(m)) return undefined
    return c.values[m as keyof PublishedValues] as number
  }

  const systems = new Map<string, { system: ExactSystem; col: Map<number, number> }>()
  const exactInterval = (target: number, m: Magnitude): { min: number; max: number } => {
    const known = knownValue(target, m)
    if (known !== undefined) return { min: known, max: known }
    // The unknowns connected to the target through relations, and the relations among them.
    const col = new Map<number, number>([[target, 0]])
    const queue = [target]
    const used = new Set<number>()
    while (queue.length > 0) {
      const u = queue.pop() as number
      for (const r of relationsOfCell[u] as number[]) {
        if (used.has(r)) continue
        used.add(r)
        for (const v of relations[r] as number[])
          if (knownValue(v, m) === undefined && !col.has(v)) {
            col.set(v, col.size)
            queue.push(v)
          }
      }
    }
    const id = `${m}:${[...col.keys()].sort((a, b) => a - b).join(',')}`
    let entry = systems.get(id)
    if (!entry) {
      const rows: ExactRow[] = []
      for (const r of used) {
        const rel = relations[r] as number[]
        const terms: Array<readonly [number, number]> = []
        let rhs: Rational = fromNumber(0)
        for (const [pos, v] of rel.entries()) {
          const coef = pos === 0 ? 1 : -1
          const j = col.get(v)
          if (j !== undefined) terms.push([j, coef])
          else {
            rhs = add(rhs, fromNumber(-coef * (knownValue(v, m) as number)))
          }
        }
        rows.push({ terms, rhs })
      }
      const system = ExactSystem.of(col.size, rows)
      if (!system) throw new Error(`audit: the published ${m} values admit no non-negative table (are the sums exact?)`)
      systems.set(id, (entry = { system, col }))
    }
    const r = entry.system.range(entry.col.get(target) as number)
    return { min: toNumber(r.min), max: r.max === undefined ? Infinity : toNumber(r.max) }
  }

  const findings: AuditFinding[] = []
  const sensitive: string[] = []
  for (const [i, k] of keys.entries()) {
    const key = cellKey(k)
    const rows = input.contributions.filter((c) => matches(c, k))
    const c = shown.get(key)
    if (c && c.factories > 0 && c.values === null && c.suppressed === null) {
      findings.push({ cell: key, magnitude: null, kind: 'unmarked', value: 0, min: 0, max: 0, needBelow: 0, needAbove: 0 })
    }
    const needs = cfg.magnitudes.map((m) => [m, needOf(rows, m, cfg)] as const)
    if (!needs.some(([, n]) => n !== undefined)) continue
    sensitive.push(key)
    if (c && c.values !== null) {
      findings.push({ cell: key, magnitude: null, kind: 'published', value: 0, min: 0, max: 0, needBelow: 0, needAbove: 0 })
      continue
    }
    for (const [m, need] of needs) {
      if (!need || need.above <= 0) continue
      const iv = exactInterval(i, m)
      const tol = 1e-9 * Math.max(1, need.total + need.above)
      const base = { cell: key, magnitude: m, value: need.total, min: iv.min, max: iv.max, needBelow: need.below, needAbove: need.above }
      if (iv.max - iv.min <= tol) findings.push({ ...base, kind: 'exact' })
      else if (iv.max < need.total + need.above - tol || iv.min > need.total - need.below + tol) findings.push({ ...base, kind: 'narrow' })
    }
  }
  return {
    findings,
    sensitive,
    interval: (cell, m) => {
      const i = index.get(cell)
      if (i === undefined) throw new Error(`audit: no cell ${cell}`)
      return exactInterval(i, m)
    },
  }
}
