/**
 * Exact linear programming for the auditor: rationals over BigInt and Bland's rule, so no
 * tolerance can hide a disclosure. Written apart from the engine's floating-point simplex (lp.ts)
 * on purpose: the audit must not share the engine's mistakes. Meant for audits, not for speed.
 */

/** A rational number n/d with d > 0, in lowest terms. */
export interface Rational {
  readonly n: bigint
  readonly d: bigint
}

const gcd = (a: bigint, b: bigint): bigint => {
  a = a < 0n ? -a : a
  b = b < 0n ? -b : b
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}

export const rat = (n: bigint, d: bigint = 1n): Rational => {
  if (d === 0n) throw new RangeError('division by zero')
  if (d < 0n) [n, d] = [-n, -d]
  const g = gcd(n, d)
  return g > 1n ? { n: n / g, d: d / g } : { n, d }
}

const ZERO = rat(0n)
export const add = (a: Rational, b: Rational): Rational => (a.d === b.d ? rat(a.n + b.n, a.d) : rat(a.n * b.d + b.n * a.d, a.d * b.d))
const sub = (a: Rational, b: Rational): Rational => add(a, { n: -b.n, d: b.d })
const mul = (a: Rational, b: Rational): Rational => (a.n === 0n || b.n === 0n ? ZERO : rat(a.n * b.n, a.d * b.d))
const div = (a: Rational, b: Rational): Rational => rat(a.n * b.d, a.d * b.n)
const sign = (a: Rational): number => (a.n > 0n ? 1 : a.n < 0n ? -1 : 0)
const cmp = (a: Rational, b: Rational): number => sign(sub(a, b))

/** A finite double as the exact rational it stores. */
export function fromNumber(x: number): Rational {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`)
  if (Number.isInteger(x)) return rat(BigInt(x))
  let d = 1n
  let v = x
  while (!Number.isInteger(v)) {
    v *= 2
    d *= 2n
  }
  return rat(BigInt(v), d)
}

export const toNumber = (a: Rational): number => Number(a.n) / Number(a.d)

export interface ExactRow {
  /** Coefficient per variable index (sparse). */
  readonly terms: ReadonlyArray<readonly [number, number]>
  readonly rhs: Rational
}

/** Range of each variable of { x ≥ 0 : rows } (max undefined when unbounded), or undefined when infeasible. */
export class ExactSystem {
  private readonly m: number
  private readonly n: number
  private readonly t: Rational[][]
  private readonly basis: number[]

  private constructor(m: number, n: number, t: Rational[][], basis: number[]) {
    this.m = m
    this.n = n
    this.t = t
    this.basis = basis
  }

  static of(n: number, rows: readonly ExactRow[]): ExactSystem | undefined {
    const m = rows.length
    // Columns: n variables, m artificials, rhs.
    const t: Rational[][] = rows.map((row, i) => {
      const flip = sign(row.rhs) < 0
      const r: Rational[] = new Array(n + m + 1).fill(ZERO)
      for (const [j, c] of row.terms) r[j] = add(r[j] as Rational, rat(BigInt(flip ? -c : c)))
      r[n + i] = rat(1n)
      r[n + m] = flip ? rat(-row.rhs.n, row.rhs.d) : row.rhs
      return r
    })
    const basis = rows.map((_, i) => n + i)
    const obj: Rational[] = new Array(n + m + 1).fill(ZERO)
    for (const r of t)
      for (let j = 0; j < n; j++) obj[j] = sub(obj[j] as Rational, r[j] as Rational)
    for (const r of t) obj[n + m] = sub(obj[n + m] as Rational, r[n + m] as Rational)
    t.push(obj)
    bland(t, basis, n)
    if (sign(obj[n + m] as Rational) !== 0) return undefined
    // Artificials still basic sit at zero: pivot them out, or drop their (redundant) row.
    const keep: number[] = []
    for (let i = 0; i < m; i++) {
      if ((basis[i] as number) < n) {
        keep.push(i)
        continue
      }
      const j = (t[i] as Rational[]).slice(0, n).findIndex((v) => sign(v) !== 0)
      if (j >= 0) {
        pivot(t, basis, i, j)
        keep.push(i)
      }
    }
    const t2 = keep.map((i) => [...(t[i] as Rational[]).slice(0, n), (t[i] as Rational[])[n + m] as Rational])
    return new ExactSystem(keep.length, n, t2, keep.map((i) => basis[i] as number))
  }

  /** Minimum and maximum of variable j (max undefined when unbounded). */
  range(j: number): { min: Rational; max: Rational | undefined } {
    const min = this.optimise(j, 1)
    const max = this.optimise(j, -1)
    return { min: min as Rational, max: max === undefined ? undefined : rat(-max.n, max.d) }
  }

  /** Minimises s·x_j; undefined when unbounded below. Returns the minimum of s·x_j. */
  private optimise(j: number, s: 1 | -1): Rational | undefined {
    const t = this.t.map((r) => r.slice())
    const basis = this.basis.slice()
    const obj: Rational[] = new Array(this.n + 1).fill(ZERO)
    const row = basis.indexOf(j)
    if (row < 0) obj[j] = rat(BigInt(s))
    else for (let c = 0; c <= this.n; c++) if (c !== j) obj[c] = mul(rat(BigInt(-s)), (t[row] as Rational[])[c] as Rational)
    t.push(obj)
    if (!bland(t, basis, this.n)) return undefined
    const r = basis.indexOf(j)
    const xj = r < 0 ? ZERO : ((t[r] as Rational[])[this.n] as Rational)
    return s === 1 ? xj : rat(-xj.n, xj.d)
  }
}

function pivot(t: Rational[][], basis: number[], pr: number, pc: number): void {
  const prow = t[pr] as Rational[]
  const p = prow[pc] as Rational
  for (let c = 0; c < prow.length; c++) prow[c] = div(prow[c] as Rational, p)
  for (let r = 0; r < t.length; r++) {
    if (r === pr) continue
    const row = t[r] as Rational[]
    const f = row[pc] as Rational
    if (sign(f) === 0) continue
    for (let c = 0; c < row.length; c++) if (sign(prow[c] as Rational) !== 0) row[c] = sub(row[c] as Rational, mul(f, prow[c] as Rational))
  }
  basis[pr] = pc
}

/** Bland's rule on the last row as objective (minimised) over columns < cols; false when unbounded. */
function bland(t: Rational[][], basis: number[], cols: number): boolean {
  const m = t.length - 1
  const obj = t[m] as Rational[]
  const rhs = obj.length - 1
  for (;;) {
    let pc = -1
    for (let c = 0; c < cols; c++)
      if (sign(obj[c] as Rational) < 0) {
        pc = c
        break
      }
    if (pc < 0) return true
    let pr = -1
    let best: Rational | undefined
    for (let r = 0; r < m; r++) {
      const a = (t[r] as Rational[])[pc] as Rational
      if (sign(a) <= 0) continue
      const q = div((t[r] as Rational[])[rhs] as Rational, a)
      const k = best === undefined ? -1 : cmp(q, best)
      if (k < 0 || (k === 0 && (basis[r] as number) < (basis[pr] as number))) {
        best = q
        pr = r
      }
    }
    if (pr < 0) return false
    pivot(t, basis, pr, pc)
  }
}
