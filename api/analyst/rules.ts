/**
 * Primary suppression: which cells are sensitive on their own, and how much protection each keeps
 * once suppressed.
 *
 * A cell is sensitive when, for any protected magnitude with a non-zero total X:
 * - fewer than `minFirms` factories report (or fewer than `minFirms` have a non-zero value), or
 * - for a dominance rule (n, k), its n largest factories hold more than k % of X.
 *
 * Protection (upper U, lower L) is the distance the attacker's interval for X must reach above
 * and below X. For a rule (n, k) it is the amount by which the cell could be larger before the n
 * largest held only k %: U = 100/k × (x1 + … + xn) − X. Below `minFirms` it is
 * `minFirmsProtection` × x1. U is the largest of these; L = min(U, X), since no cell is negative.
 */
import type { DisclosureConfig } from './config.ts'
import { EMPTY, PRIMARY, PUBLISHED, WITHHELD, type Cube } from './cube.ts'

/** A sensitive cell's required protection per protected magnitude (config order). */
export interface Requirement {
  readonly up: Float64Array
  readonly down: Float64Array
}

/** Sorted largest-first values of one magnitude over a cell's factories. */
function largest(contributors: ReadonlyMap<string, Float64Array>, k: number): number[] {
  const out: number[] = []
  for (const v of contributors.values()) out.push(v[k] as number)
  return out.sort((a, b) => b - a)
}

/**
 * The protection a cell needs, per protected magnitude; `undefined` when the cell is not
 * sensitive. `contributors` are the cell's factories with their sums of the protected magnitudes.
 */
export function requirementOf(contributors: ReadonlyMap<string, Float64Array>, config: DisclosureConfig): Requirement | undefined {
  const nm = config.magnitudes.length
  const up = new Float64Array(nm)
  const down = new Float64Array(nm)
  let sensitive = contributors.size > 0 && contributors.size < config.minFirms
  for (let k = 0; k < nm; k++) {
    const xs = largest(contributors, k)
    const total = xs.reduce((a, b) => a + b, 0)
    if (total <= 0) continue
    const positive = xs.filter((x) => x > 0).length
    let u = 0
    if (positive < config.minFirms || contributors.size < config.minFirms) {
      sensitive = true
      u = Math.max(u, config.minFirmsProtection * (xs[0] as number))
    }
    for (const rule of config.dominance) {
      const top = xs.slice(0, rule.n).reduce((a, b) => a + b, 0)
      if (top * 100 > rule.k * total) {
        sensitive = true
        u = Math.max(u, (100 / rule.k) * top - total)
      }
    }
    up[k] = u
    down[k] = Math.min(u, total)
  }
  return sensitive ? { up, down } : undefined
}

/**
 * Marks every non-empty cell PUBLISHED, WITHHELD (not shown by any configured table) or PRIMARY,
 * and returns the requirements of the primary ones. Withheld cells follow the same rules: a
 * sensitive cell must stay hidden even when no table shows it, as published neighbours could
 * still add up to it.
 */
export function primarySuppression(cube: Cube, config: DisclosureConfig): { status: Uint8Array; requirements: Map<number, Requirement> } {
  const status = new Uint8Array(cube.size)
  const requirements = new Map<number, Requirement>()
  for (let i = 0; i < cube.size; i++) {
    const contributors = cube.contributors[i]
    if (!contributors || contributors.size === 0) {
      status[i] = EMPTY
      continue
    }
    const req = requirementOf(contributors, config)
    if (req) {
      status[i] = PRIMARY
      requirements.set(i, req)
    } else status[i] = cube.shown[i] ? PUBLISHED : WITHHELD
  }
  return { status, requirements }
}
