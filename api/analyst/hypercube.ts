/**
 * Hypercubes: the complements that keep a sensitive cell unrecoverable.
 *
 * Along one dimension, put weight on leaves under the cell's node (one leaf with weight 1, or
 * every leaf in proportion to the cell's own values there: "spread") and optionally the opposite
 * weight on leaves elsewhere (one leaf, or a node of the same level, spread). Giving every node
 * the summed weight of its leaves yields a vector that satisfies every parent = Σ children
 * relation of that dimension: the cell's node gets 1, nodes above the common ancestor 0 (or 1 up
 * to the root when there is no opposite side). The product of one such vector per dimension is a
 * perturbation δ of the whole table that keeps every relation true. Suppress every cell where δ
 * is non-zero (the corners) and a reader cannot tell the true table x from x + tδ as long as no
 * cell goes negative: the sensitive cell can move up by min value/|δ| over corners with δ < 0,
 * and down by the same over corners with δ > 0. That is a certificate of protection, checked here
 * for one magnitude at a time.
 */
import { EMPTY, PUBLISHED, type Cube, type DimNode, type Dimension } from './cube.ts'

export interface DimOption {
  readonly nodes: readonly number[]
  readonly weights: readonly number[]
}

const ZERO_WEIGHT = 1e-9

/** Node weights from leaf weights (each node the sum of its leaves), non-zero ones only. */
function propagate(dim: Dimension, leafWeights: ReadonlyMap<number, number>): DimOption {
  const w = new Map<number, number>()
  for (const [leaf, lw] of leafWeights) for (let n = leaf; n >= 0; n = (dim.nodes[n] as DimNode).parent) w.set(n, (w.get(n) ?? 0) + lw)
  const nodes: number[] = []
  const weights: number[] = []
  for (const [n, x] of [...w].sort((a, b) => a[0] - b[0]))
    if (Math.abs(x) > ZERO_WEIGHT) {
      nodes.push(n)
      weights.push(x)
    }
  return { nodes, weights }
}

/** Options with a single leaf on each side (cacheable: they do not depend on values). */
export function unitOptions(dim: Dimension, node: number): DimOption[] {
  const inside = new Set(dim.leavesUnder[node])
  const out: DimOption[] = []
  for (const l of dim.leavesUnder[node] as readonly number[]) {
    out.push(propagate(dim, new Map([[l, 1]])))
    for (const l2 of dim.leaves) if (!inside.has(l2)) out.push(propagate(dim, new Map([[l, 1], [l2, -1]])))
  }
  return out
}

/**
 * Spread options for an inner node: weights on its leaves in proportion to `lineValue(leaf)` (the
 * cell's own values there), alone or against another node of the same level spread the same way.
 */
export function spreadOptions(dim: Dimension, node: number, lineValue: (leaf: number) => number): DimOption[] {
  const n = dim.nodes[node] as DimNode
  if (n.children.length === 0) return []
  const spread = (of: number, sign: number): Map<number, number> | undefined => {
    const leaves = dim.leavesUnder[of] as readonly number[]
    const total = leaves.reduce((a, l) => a + lineValue(l), 0)
    if (!(total > 0)) return undefined
    return new Map(leaves.flatMap((l) => (lineValue(l) > 0 ? [[l, (sign * lineValue(l)) / total] as const] : [])))
  }
  const own = spread(node, 1)
  if (!own) return []
  const out = [propagate(dim, own)]
  for (const [other, o] of dim.nodes.entries()) {
    if (other === node || o.depth !== n.depth) continue
    const theirs = spread(other, -1)
    if (theirs) out.push(propagate(dim, new Map([...own, ...theirs])))
  }
  return out
}

export interface Hypercube {
  readonly corners: readonly number[]
  /** Sum of the costs of the corners not suppressed yet. */
  readonly cost: number
  /** How far the sensitive cell can move up / down with only these corners suppressed. */
  readonly capUp: number
  readonly capDown: number
  readonly sufficient: boolean
}

export interface SearchContext {
  readonly cube: Cube
  readonly status: Uint8Array
  /** Cost of suppressing a published cell: 1 + its factories + its share of the planned time. */
  readonly cost: Float64Array
  readonly unitOptions: Map<string, DimOption[]>
  /** Cells an earlier release published: they cannot become complements now. */
  readonly pinned: Uint8Array | undefined
}

// Stricter than the auditor's tolerance, so the auditor never disagrees on a boundary case.
const meets = (cap: number, need: number): boolean => need <= 0 || cap >= need * (1 - 1e-12)

/**
 * The hypercube protecting sensitive cell `c` in magnitude `values` by `up` above and `down`
 * below: the cheapest sufficient one; with `partial`, when none is sufficient, the one covering
 * most of the need that adds at least one new corner (the caller then asks the LP about the
 * combination). `spread: false` keeps to single-leaf options. `free` looks only for a hypercube
 * whose corners are all suppressed already and returns the first found (a certificate as things
 * stand). Undefined when there is no candidate.
 */
export function searchHypercube(
  ctx: SearchContext,
  c: number,
  values: Float64Array,
  up: number,
  down: number,
  { partial = false, spread = true, free = false }: { readonly partial?: boolean; readonly spread?: boolean; readonly free?: boolean } = {},
): Hypercube | undefined {
  const { cube, status, cost } = ctx
  const at = cube.coords(c)
  const lineCell = (d: number, node: number): number => {
    const p: [number, number, number] = [at[0], at[1], at[2]]
    p[d] = node
    return cube.idx(p[0], p[1], p[2])
  }
  const opts = [0, 1, 2].map((d) => {
    const node = at[d] as number
    const key = `${d}:${node}`
    let unit = ctx.unitOptions.get(key)
    if (!unit) ctx.unitOptions.set(key, (unit = unitOptions(cube.dims[d] as Dimension, node)))
    const all = !spread ? unit : [...unit, ...spreadOptions(cube.dims[d] as Dimension, node, (leaf) => (status[lineCell(d, leaf)] === EMPTY ? 0 : (values[lineCell(d, leaf)] as number)))]
    // Corners on the cell's own lines must not be empty, whatever the other dimensions pick.
    return all.filter((o) => o.nodes.every((n) => status[lineCell(d, n)] !== EMPTY))
  })
  let best: Hypercube | undefined
  let bestScore = -1
  const corners: number[] = []
  for (const ot of opts[0] as DimOption[])
    for (const og of opts[1] as DimOption[])
      combos: for (const os of opts[2] as DimOption[]) {
        let capUp = Infinity
        let capDown = Infinity
        corners.length = 0
        let total = 0
        for (let a = 0; a < ot.nodes.length; a++)
          for (let b = 0; b < og.nodes.length; b++)
            for (let e = 0; e < os.nodes.length; e++) {
              const i = cube.idx(ot.nodes[a] as number, og.nodes[b] as number, os.nodes[e] as number)
              const st = status[i] as number
              if (st === EMPTY) continue combos
              if (st === PUBLISHED) {
                if (free || ctx.pinned?.[i]) continue combos
                total += cost[i] as number
                if (!partial && best && total >= best.cost) continue combos
              }
              corners.push(i)
              const w = (ot.weights[a] as number) * (og.weights[b] as number) * (os.weights[e] as number)
              const room = (values[i] as number) / Math.abs(w)
              if (w > 0) {
                if (room < capDown) capDown = room
                if (!partial && !meets(room, down)) continue combos
              } else {
                if (room < capUp) capUp = room
                if (!partial && !meets(room, up)) continue combos
              }
            }
        const sufficient = meets(capUp, up) && meets(capDown, down)
        if (!partial) {
          if (sufficient && (!best || total < best.cost)) best = { corners: [...corners], cost: total, capUp, capDown, sufficient }
          if (free && best) return best
          continue
        }
        const score = (up > 0 ? Math.min(1, capUp / up) : 1) + (down > 0 ? Math.min(1, capDown / down) : 1)
        if (total > 0 && (score > bestScore + 1e-12 || (Math.abs(score - bestScore) <= 1e-12 && best && total < best.cost))) {
          bestScore = score
          best = { corners: [...corners], cost: total, capUp, capDown, sufficient }
        }
      }
  return best
}
