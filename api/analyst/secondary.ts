/**
 * Secondary suppression over the whole linked table of a year (all shapes, all periods at once).
 *
 * 1. Sensitive cells are taken most detailed first (months before quarters, parks before regions),
 *    largest first, and each protected magnitude in turn. The cheapest hypercube whose own
 *    capacity meets the cell's protection is suppressed: a certificate that the cell stays
 *    protected whatever is suppressed later (suppressing more only widens what a reader cannot
 *    know). Corners already suppressed cost nothing, so cells share complements.
 * 2. A cell no single hypercube protects is checked with the LP: the smallest and largest value
 *    its magnitude can take given every known cell and non-negativity. While that interval is too
 *    narrow, the hypercube covering most of the shortfall is added and the LP asked again.
 * 3. The reduction pass (reduce.ts) publishes again every complement the protection does not need,
 *    each one only after every protected pair has been proved protected with it published.
 * 4. Finally no relation may leave a protected cell as its only unknown (cheap consistency check).
 */
import { DisclosureError } from './errors.ts'
import { childrenOf, isUnknown, PUBLISHED, relationsOf, SECONDARY, type Cube, type DimNode } from './cube.ts'
import { searchHypercube, type SearchContext } from './hypercube.ts'
import { ReaderView, type Interval } from './reader.ts'
import type { Requirement } from './rules.ts'
import type { DisclosureConfig } from './config.ts'
import { reduceSuppression } from './reduce.ts'

/** Float LP tolerance; tighter than the exact auditor's, so what the engine accepts the auditor accepts. */
const slack = (x: number): number => 1e-10 * Math.max(1, Math.abs(x))

function specificity(cube: Cube, i: number): number {
  const [t, g, s] = cube.coords(i)
  return (cube.dims[0].nodes[t] as DimNode).depth + (cube.dims[1].nodes[g] as DimNode).depth + (cube.dims[2].nodes[s] as DimNode).depth
}

/**
 * Adds secondary suppressions to `status` (in place) until every primary cell is protected in
 * every protected magnitude. `pinned` cells (published by an earlier release) are never chosen;
 * `locked` cells (suppressed by an earlier release) are never published again by the reduction.
 * `reduce: false` skips the reduction pass (tests measure what it gains). Returns how many
 * (cell, magnitude) pairs needed the LP and how many complements the reduction published again.
 */
export function secondarySuppression(
  cube: Cube,
  status: Uint8Array,
  requirements: ReadonlyMap<number, Requirement>,
  config: DisclosureConfig,
  pinned?: Uint8Array,
  { locked, reduce = true }: { readonly locked?: Uint8Array | undefined; readonly reduce?: boolean } = {},
): { lpChecked: number; republished: number } {
  const values = config.magnitudes.map((m) => cube.totals[m])
  const pbt = cube.totals.plannedBusyS
  let grand = 1e-300
  for (const v of pbt) if (v > grand) grand = v
  const cost = new Float64Array(cube.size)
  for (let i = 0; i < cube.size; i++) cost[i] = 1 + (cube.factories[i] as number) + (pbt[i] as number) / grand
  const ctx: SearchContext = { cube, status, cost, unitOptions: new Map(), pinned }
  const view = new ReaderView(cube, status)
  const suppress = (corners: readonly number[]): void => {
    let changed = false
    for (const i of corners)
      if (status[i] === PUBLISHED) {
        status[i] = SECONDARY
        changed = true
      }
    if (changed) view.changed()
  }

  const wide = (iv: Interval, c: number, k: number): boolean => {
    const req = requirements.get(c) as Requirement
    const x = (values[k] as Float64Array)[c] as number
    return iv.max >= x + (req.up[k] as number) - slack(x + (req.up[k] as number)) && iv.min <= x - (req.down[k] as number) + slack(x)
  }
  const lpOk = (c: number, k: number): boolean => wide(view.interval(values[k] as Float64Array, k, c), c, k)
  const order = [...requirements.keys()].sort((a, b) => specificity(cube, b) - specificity(cube, a) || (pbt[b] as number) - (pbt[a] as number) || a - b)
  const pending: Array<[number, number]> = []
  for (const c of order) {
    const req = requirements.get(c) as Requirement
    for (let k = 0; k < values.length; k++) {
      if (!((req.up[k] as number) > 0)) continue
      // Single-leaf hypercubes only here: spread ones touch every month and, chosen this early,
      // cost more than letting the LP find what the complements of the months already give.
      const found = searchHypercube(ctx, c, values[k] as Float64Array, req.up[k] as number, req.down[k] as number, { spread: false })
      if (found) {
        suppress(found.corners)
        continue
      }
      // A spread hypercube already fully suppressed is a certificate too, and free.
      const free = searchHypercube(ctx, c, values[k] as Float64Array, req.up[k] as number, req.down[k] as number)
      if (free && free.cost === 0) continue
      pending.push([c, k])
    }
  }
  const lpChecked = pending.length
  const short = pending.filter(([c, k]) => !lpOk(c, k))
  for (const [c, k] of short) {
    const req = requirements.get(c) as Requirement
    const v = values[k] as Float64Array
    while (!lpOk(c, k)) {
      // A sufficient hypercube (spread ones included) certifies the cell; otherwise add the one
      // covering most of the need and let the LP judge the combination.
      const more = searchHypercube(ctx, c, v, req.up[k] as number, req.down[k] as number) ?? searchHypercube(ctx, c, v, req.up[k] as number, req.down[k] as number, { partial: true })
      if (!more) throw new DisclosureError('SHOPFLOOR_ANALYST_PROTECTION_FAILED', `cell ${describeCell(cube, c)} cannot be protected: no complement left to suppress`)
      suppress(more.corners)
      if (more.sufficient) break
    }
  }
  const { republished } = reduce ? reduceSuppression({ cube, status, requirements, values, search: ctx, view, lpOk, locked, pinned }) : { republished: 0 }
  checkNoLoneUnknown(cube, status, requirements)
  return { lpChecked, republished }
}

/** A cell for messages, by its keys only (never a factory). */
export function describeCell(cube: Cube, i: number): string {
  const [t, g, s] = cube.coords(i)
  const geo = cube.geoKey[g]
  return `${cube.dims[0].nodes[t]?.key} / ${geo?.region ?? 'all regions'} / ${geo?.park ?? 'all parks'} / ${cube.dims[2].nodes[s]?.key ?? 'all sectors'}`
}

/** Every relation holding a protected primary cell must hold another unknown cell, or that cell is its difference. */
function checkNoLoneUnknown(cube: Cube, status: Uint8Array, requirements: ReadonlyMap<number, Requirement>): void {
  for (const [c, req] of requirements) {
    if (!req.up.some((u) => u > 0)) continue
    for (const r of relationsOf(cube, c)) {
      const unknown = [r.parent, ...childrenOf(cube, r.dim, r.parent)].filter((m) => isUnknown(status[m] as number))
      if (unknown.length < 2) {
        throw new DisclosureError('SHOPFLOOR_ANALYST_PROTECTION_FAILED', `cell ${describeCell(cube, c)} is the only unknown of a relation along dimension ${r.dim}`)
      }
    }
  }
}
