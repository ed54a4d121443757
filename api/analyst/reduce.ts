/**
 * The reduction pass: after the hypercubes, publish again every complement that protection does
 * not need. Hypercubes are chosen one sensitive cell at a time, so the pattern they leave holds many
 * complements that other complements already make redundant (a park total hidden for one month
 * cell whose other relations protect it anyway). Each secondary cell is tried in turn, the most
 * useful to analysts first (coarsest cells first: grand totals, then region, park and sector
 * margins and whole years before months; then cells an earlier release published in other
 * periods; then the larger planned time first): it is published
 * tentatively, and kept published only when EVERY protected (sensitive cell, magnitude) pair is
 * still protected — its reader's interval reaches U above and L below (docs/disclosure.md,
 * "Required protection") — else it is suppressed again. The proof for a pair is either a
 * hypercube whose corners are all still unknown (a certificate: it holds whatever else is
 * published, as long as none of its corners is) or, where no such hypercube exists, the LP over
 * the whole linked year with the tentative cell known. Pairs whose certificate does not contain
 * the tried cell cannot lose protection by it and are not looked at again. Candidates are tried
 * in batches (group testing), which gives the same pattern as trying them one by one.
 *
 * The pass is bounded by {@link REDUCTION_LP_BUDGET} (LP work).
 *
 * Cells the caller locks (suppressed by an earlier release) are never tried: the releases stay
 * monotone. The result is safe by construction (every kept publication passed the full check); it
 * is minimal in the sense that no single secondary cell left can be published on its own.
 */
import { PUBLISHED, SECONDARY, type Cube, type DimNode } from './cube.ts'
import { searchHypercube, type SearchContext } from './hypercube.ts'
import type { ReaderView } from './reader.ts'
import type { Requirement } from './rules.ts'

/** One protected (sensitive cell, magnitude) pair and the proof it holds now. */
interface Pair {
  readonly cell: number
  readonly k: number
  /** The corners of a fully suppressed sufficient hypercube; null when only the LP proves it. */
  cert: ReadonlySet<number> | null
}

function depthSum(cube: Cube, i: number): number {
  const [t, g, s] = cube.coords(i)
  return (cube.dims[0].nodes[t] as DimNode).depth + (cube.dims[1].nodes[g] as DimNode).depth + (cube.dims[2].nodes[s] as DimNode).depth
}

/**
 * Work bound of the pass. Each LP check (the reader's interval of one cell and magnitude) costs
 * n³ units, n the unknown base cells (the LP's columns); 3·10¹⁰ units is about 3 s of CPU on the
 * 2-core development machine (0.1 ms a check at n ≈ 110, 60 ms at n ≈ 1 000). A count, not a time,
 * so the same input always gives the same pattern (releases are recomputed on demand and must not
 * change). When it is spent, the candidates not tried yet stay suppressed: safe, less published.
 */
export const REDUCTION_LP_BUDGET = 3e10

export interface ReduceContext {
  readonly cube: Cube
  readonly status: Uint8Array
  readonly requirements: ReadonlyMap<number, Requirement>
  /** The protected magnitudes' cell values, config order. */
  readonly values: readonly Float64Array[]
  readonly search: SearchContext
  readonly view: ReaderView
  /** Whether pair (c, k) is protected under the current status, by the LP. */
  readonly lpOk: (c: number, k: number) => boolean
  /** Cells that must stay suppressed (an earlier release hid them). */
  readonly locked: Uint8Array | undefined
  /** Cells an earlier release published. */
  readonly pinned: Uint8Array | undefined
  /** LP work allowed (units of n³ per check); default {@link REDUCTION_LP_BUDGET}. */
  readonly budget?: number
}

/** Publishes again every secondary cell protection does not need (in place). Returns how many. */
export function reduceSuppression(ctx: ReduceContext): { republished: number; tried: number; lpChecks: number; exhausted: boolean } {
  const { cube, status, requirements, values, search, view, lpOk, locked, pinned } = ctx
  const pbt = cube.totals.plannedBusyS
  const certificate = (c: number, k: number): ReadonlySet<number> | null => {
    const req = requirements.get(c) as Requirement
    const h = searchHypercube(search, c, values[k] as Float64Array, req.up[k] as number, req.down[k] as number, { free: true })
    return h ? new Set(h.corners) : null
  }
  const pairs: Pair[] = []
  for (const [c, req] of requirements)
    for (let k = 0; k < values.length; k++) if ((req.up[k] as number) > 0) pairs.push({ cell: c, k, cert: certificate(c, k) })

  const candidates: number[] = []
  for (let i = 0; i < cube.size; i++) if (status[i] === SECONDARY && cube.shown[i] && !locked?.[i]) candidates.push(i)
  // The same cell in other periods already published by an earlier release: publishing this one
  // too keeps the pattern the same month after month, which leaves the quarter publishable.
  const nT = cube.dims[0].nodes.length
  const pinnedAlongTime = (i: number): number => {
    if (!pinned) return 0
    const [, g, s] = cube.coords(i)
    let n = 0
    for (let t = 0; t < nT; t++) n += pinned[cube.idx(t, g, s)] as number
    return n
  }
  const along = new Map(candidates.map((i) => [i, pinnedAlongTime(i)]))
  candidates.sort(
    (a, b) => depthSum(cube, a) - depthSum(cube, b) || (along.get(b) as number) - (along.get(a) as number) || (pbt[b] as number) - (pbt[a] as number) || a - b,
  )

  // Publishes `batch` on top of what is published, keeping it when every pair stays protected.
  const budget = ctx.budget ?? REDUCTION_LP_BUDGET
  let lpChecks = 0
  let spent = 0
  let exhausted = false
  const tryPublish = (batch: readonly number[]): boolean => {
    for (const j of batch) status[j] = PUBLISHED
    view.changed()
    const checkCost = view.unknownBaseCells() ** 3
    const renewed = new Map<Pair, ReadonlySet<number> | null>()
    for (const [n, p] of pairs.entries()) {
      if (p.cert && !batch.some((j) => p.cert?.has(j))) continue
      const cert = certificate(p.cell, p.k)
      if (!cert) {
        lpChecks++
        spent += checkCost
        if (spent > budget) exhausted = true
      }
      if (!cert && (exhausted || !lpOk(p.cell, p.k))) {
        for (const j of batch) status[j] = SECONDARY
        view.changed()
        // Cells near each other fail together: check this pair first next time.
        pairs.splice(n, 1)
        pairs.unshift(p)
        return false
      }
      renewed.set(p, cert)
    }
    for (const [p, cert] of renewed) p.cert = cert
    return true
  }
  // Group testing, same result as trying the candidates one by one in order: protection only
  // narrows as more is published, so a batch that passes would have passed cell by cell; a batch
  // that fails is split and its halves tried in order.
  let republished = 0
  const reduce = (list: readonly number[]): void => {
    if (list.length === 0 || exhausted) return
    if (tryPublish(list)) {
      republished += list.length
      return
    }
    if (list.length === 1 || exhausted) return
    const mid = Math.ceil(list.length / 2)
    reduce(list.slice(0, mid))
    reduce(list.slice(mid))
  }
  reduce(candidates)
  return { republished, tried: candidates.length, lpChecks, exhausted }
}
