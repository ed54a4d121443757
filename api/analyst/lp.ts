/**
 * A small dense simplex (two phases) for the engine's protection check: the range a variable (or
 * a sum of variables) can take over { x ≥ 0 : A x = b }. Phase 1 runs once per system; each range then costs two short
 * phase-2 runs from that feasible basis. Dantzig's rule for the entering column; ties in the
 * ratio test (suppression tables are highly degenerate: most right-hand sides are 0) are broken
 * lexicographically by a pseudo-random perturbation column that rides along with the pivots, so the
 * simplex cannot cycle while the true right-hand side stays unperturbed. Right-hand sides are
 * scaled to at most 1 so one tolerance fits seconds and kWh alike.
 */

export interface LinearRow {
  readonly cols: readonly number[]
  readonly coefs: readonly number[]
  readonly rhs: number
}

const EPS = 1e-9

class Tableau {
  readonly rows: number
  readonly width: number
  readonly t: Float64Array
  readonly basis: Int32Array

  constructor(rows: number, width: number, t: Float64Array, basis: Int32Array) {
    this.rows = rows
    this.width = width
    this.t = t
    this.basis = basis
  }

  at(r: number, c: number): number {
    return this.t[r * this.width + c] as number
  }

  pivot(pr: number, pc: number): void {
    const w = this.width
    const t = this.t
    const base = pr * w
    const inv = 1 / (t[base + pc] as number)
    // The pivot row is sparse (table relations have few terms): update only its non-zero columns.
    const nz: number[] = []
    for (let c = 0; c < w; c++) {
      const v = t[base + c] as number
      if (v !== 0) {
        t[base + c] = v * inv
        nz.push(c)
      }
    }
    for (let r = 0; r <= this.rows; r++) {
      if (r === pr) continue
      const off = r * w
      const f = t[off + pc] as number
      if (f === 0) continue
      for (const c of nz) t[off + c] = (t[off + c] as number) - f * (t[base + c] as number)
      t[off + pc] = 0
    }
    this.basis[pr] = pc
  }

  /**
   * Minimises the objective row (row `rows`) over columns < `cols`. Returns false when unbounded.
   * Column `width − 2` is the perturbation: fresh positive values at each run (any positive
   * values are a valid perturbation of the current basis), used only to break ratio-test ties.
   */
  run(cols: number): boolean {
    const w = this.width
    const obj = this.rows * w
    const rhs = w - 1
    const pert = w - 2
    let seed = 0x9e3779b9
    for (let r = 0; r < this.rows; r++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
      this.t[r * w + pert] = 0.5 + seed / 2 ** 33
    }
    for (let iter = 0; iter < 1_000_000; iter++) {
      let pc = -1
      let best = -EPS
      for (let c = 0; c < cols; c++) {
        const r = this.t[obj + c] as number
        if (r < best) {
          best = r
          pc = c
        }
      }
      if (pc < 0) return true
      let pr = -1
      let ratio = Infinity
      let tie = Infinity
      for (let r = 0; r < this.rows; r++) {
        const a = this.at(r, pc)
        if (a <= EPS) continue
        const q = this.at(r, rhs) / a
        const p = this.at(r, pert) / a
        if (q < ratio - EPS || (q <= ratio + EPS && p < tie)) {
          ratio = q
          tie = p
          pr = r
        }
      }
      if (pr < 0) return false
      this.pivot(pr, pc)
    }
    throw new Error('simplex did not converge in 1000000 pivots')
  }
}

/** The set { x ≥ 0 : rows } with a feasible basis, ready to give the range of any one variable. */
export class Polyhedron {
  readonly vars: number
  private readonly base: Tableau
  private readonly scale: number

  private constructor(vars: number, base: Tableau, scale: number) {
    this.vars = vars
    this.base = base
    this.scale = scale
  }

  /** Undefined when the system has no non-negative solution. */
  static of(vars: number, rows: readonly LinearRow[]): Polyhedron | undefined {
    const scale = Math.max(1e-300, ...rows.map((r) => Math.abs(r.rhs)))
    const m = rows.length
    // Columns: variables, artificials, perturbation, right-hand side.
    const w = vars + m + 2
    const t = new Float64Array((m + 1) * w)
    const basis = new Int32Array(m)
    for (const [i, row] of rows.entries()) {
      const sign = row.rhs < 0 ? -1 : 1
      for (const [k, c] of row.cols.entries()) t[i * w + c] = (t[i * w + c] as number) + sign * (row.coefs[k] as number)
      t[i * w + vars + i] = 1
      t[i * w + w - 1] = (sign * row.rhs) / scale
      basis[i] = vars + i
    }
    // Phase 1: minimise the sum of the artificials; its reduced costs are minus the column sums.
    const obj = m * w
    for (let i = 0; i < m; i++)
      for (let c = 0; c < vars; c++) t[obj + c] = (t[obj + c] as number) - (t[i * w + c] as number)
    for (let i = 0; i < m; i++) t[obj + w - 1] = (t[obj + w - 1] as number) - (t[i * w + w - 1] as number)
    const tab = new Tableau(m, w, t, basis)
    tab.run(vars)
    if (-(t[obj + w - 1] as number) > 1e-7) return undefined
    // Drive the artificials out of the basis; a row where that is impossible is redundant.
    const keep: number[] = []
    for (let i = 0; i < m; i++) {
      if ((basis[i] as number) < vars) {
        keep.push(i)
        continue
      }
      let pc = -1
      for (let c = 0; c < vars; c++) if (Math.abs(tab.at(i, c)) > EPS) pc = c
      if (pc >= 0) {
        tab.pivot(i, pc)
        keep.push(i)
      }
    }
    const w2 = vars + 2
    const t2 = new Float64Array((keep.length + 1) * w2)
    const basis2 = new Int32Array(keep.length)
    for (const [r, i] of keep.entries()) {
      for (let c = 0; c < vars; c++) t2[r * w2 + c] = tab.at(i, c)
      t2[r * w2 + vars + 1] = Math.max(0, tab.at(i, w - 1))
      basis2[r] = basis[i] as number
    }
    return new Polyhedron(vars, new Tableau(keep.length, w2, t2, basis2), scale)
  }

  /** Smallest and largest value of variable `j` over the set (max Infinity when unbounded). */
  range(j: number): { min: number; max: number } {
    return this.rangeOf([j])
  }

  /** Smallest and largest value of the sum of variables `cols` over the set (max Infinity when unbounded). */
  rangeOf(cols: readonly number[]): { min: number; max: number } {
    return { min: this.optimise(cols, 1), max: -this.optimise(cols, -1) }
  }

  /** min of sign × Σ x_cols; −Infinity when unbounded below. */
  private optimise(cols: readonly number[], sign: 1 | -1): number {
    const b = this.base
    const tab = new Tableau(b.rows, b.width, b.t.slice(), b.basis.slice())
    const w = tab.width
    const obj = tab.rows * w
    const cost = new Float64Array(this.vars)
    for (const j of cols) cost[j] = sign
    // Reduced costs c − c_B B⁻¹A, and minus the objective value, in the objective row.
    for (let c = 0; c < this.vars; c++) tab.t[obj + c] = cost[c] as number
    tab.t[obj + w - 1] = 0
    for (let r = 0; r < tab.rows; r++) {
      const cb = cost[tab.basis[r] as number] as number
      if (cb === 0) continue
      for (let c = 0; c < w; c++) tab.t[obj + c] = (tab.t[obj + c] as number) - cb * tab.at(r, c)
    }
    if (!tab.run(this.vars)) return -Infinity
    let value = 0
    for (let r = 0; r < tab.rows; r++) value += (cost[tab.basis[r] as number] as number) * Math.max(0, tab.at(r, w - 1))
    return value * this.scale
  }
}
