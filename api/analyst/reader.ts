/**
 * What a reader of the published tables can still say about a suppressed cell: the smallest and
 * largest value it can take over every table that agrees with the published cells and has no
 * negative cell. Solved with the LP on the base table (month × park × sector): every cell of the
 * linked table is the sum of the base cells under it, so the unknowns are the unknown base cells
 * and each published cell above the base is one equation. That is exactly the reader's knowledge
 * and far smaller than the table with all its margins.
 */
import { DisclosureError } from './errors.ts'
import { isUnknown, type Cube, type DimNode } from './cube.ts'
import { Polyhedron, type LinearRow } from './lp.ts'

/** The interval a reader can give for one magnitude of a cell. */
export interface Interval {
  readonly min: number
  readonly max: number
}

interface Structure {
  /** Per cell of the cube: its column if it is an unknown base cell, else −1. */
  readonly col: Int32Array
  /** Per column: its component. */
  readonly component: Int32Array
  /** Per component: its columns (global column ids). */
  readonly members: number[][]
  /** Equations: a published cell above the base and the unknown columns under it. */
  readonly rows: ReadonlyArray<{ readonly cell: number; readonly cols: readonly number[]; readonly known: readonly number[] }>
  /** Per component: its rows. */
  readonly rowsOf: number[][]
}

export class ReaderView {
  private readonly cube: Cube
  private readonly status: Uint8Array
  private structure: Structure | undefined
  private readonly polys = new Map<string, { poly: Polyhedron; local: Map<number, number> }>()

  constructor(cube: Cube, status: Uint8Array) {
    this.cube = cube
    this.status = status
  }

  /** Call after changing the status of any cell. */
  changed(): void {
    this.structure = undefined
    this.polys.clear()
  }

  /** The base cells under cell `i` (all its leaves, in every dimension). */
  baseUnder(i: number): number[] {
    const { cube } = this
    const [t, g, s] = cube.coords(i)
    const out: number[] = []
    for (const lt of cube.dims[0].leavesUnder[t] as readonly number[])
      for (const lg of cube.dims[1].leavesUnder[g] as readonly number[])
        for (const ls of cube.dims[2].leavesUnder[s] as readonly number[]) out.push(cube.idx(lt, lg, ls))
    return out
  }

  private isBase(i: number): boolean {
    const c = this.cube.coords(i)
    return c.every((node, d) => ((this.cube.dims[d]?.nodes[node] as DimNode).children.length === 0))
  }

  private build(): Structure {
    if (this.structure) return this.structure
    const { cube, status } = this
    const col = new Int32Array(cube.size).fill(-1)
    let n = 0
    for (let i = 0; i < cube.size; i++) if (isUnknown(status[i] as number) && this.isBase(i)) col[i] = n++
    const rows: Array<{ cell: number; cols: number[]; known: number[] }> = []
    for (let i = 0; i < cube.size; i++) {
      if (isUnknown(status[i] as number) || this.isBase(i)) continue
      const cols: number[] = []
      const known: number[] = []
      for (const b of this.baseUnder(i)) {
        if ((col[b] as number) >= 0) cols.push(col[b] as number)
        else known.push(b)
      }
      if (cols.length > 0) rows.push({ cell: i, cols, known })
    }
    // Components of the columns through shared equations (union-find).
    const parent = Int32Array.from({ length: n }, (_, i) => i)
    const find = (a: number): number => {
      while (parent[a] !== a) a = parent[a] = parent[parent[a] as number] as number
      return a
    }
    for (const r of rows) for (const c of r.cols.slice(1)) parent[find(c)] = find(r.cols[0] as number)
    const component = new Int32Array(n)
    const ids = new Map<number, number>()
    const members: number[][] = []
    for (let c = 0; c < n; c++) {
      const root = find(c)
      let id = ids.get(root)
      if (id === undefined) {
        ids.set(root, (id = members.length))
        members.push([])
      }
      component[c] = id
      members[id]?.push(c)
    }
    const rowsOf: number[][] = members.map(() => [])
    for (const [ri, r] of rows.entries()) rowsOf[component[r.cols[0] as number] as number]?.push(ri)
    return (this.structure = { col, component, members, rows, rowsOf })
  }

  private poly(values: Float64Array, k: number, comp: number): { poly: Polyhedron; local: Map<number, number> } {
    const key = `${k}:${comp}`
    let entry = this.polys.get(key)
    if (entry) return entry
    const st = this.build()
    const local = new Map((st.members[comp] as number[]).map((c, j) => [c, j]))
    const rows: LinearRow[] = (st.rowsOf[comp] as number[]).map((ri) => {
      const r = st.rows[ri] as Structure['rows'][number]
      let rhs = values[r.cell] as number
      for (const b of r.known) rhs -= values[b] as number
      return { cols: r.cols.map((c) => local.get(c) as number), coefs: r.cols.map(() => 1), rhs }
    })
    const poly = Polyhedron.of(local.size, rows)
    if (!poly) throw new DisclosureError('SHOPFLOOR_ANALYST_PROTECTION_FAILED', 'the published cells admit no non-negative table (the input sums are inconsistent)')
    this.polys.set(key, (entry = { poly, local }))
    return entry
  }

  /** Unknown base cells: the LP's columns (its cost grows with about their cube). */
  unknownBaseCells(): number {
    return this.build().members.reduce((a, m) => a + m.length, 0)
  }

  /** Smallest and largest value of magnitude `values` (protected magnitude `k`) at cell `c`. */
  interval(values: Float64Array, k: number, c: number): Interval {
    const st = this.build()
    let min = 0
    let max = 0
    const byComponent = new Map<number, number[]>()
    for (const b of this.baseUnder(c)) {
      const j = st.col[b] as number
      if (j < 0) {
        min += values[b] as number
        max += values[b] as number
        continue
      }
      const comp = st.component[j] as number
      let list = byComponent.get(comp)
      if (!list) byComponent.set(comp, (list = []))
      list.push(j)
    }
    for (const [comp, cols] of byComponent) {
      if ((st.rowsOf[comp] as number[]).length === 0) {
        max = Infinity // base cells under no published cell: nothing bounds them above
        continue
      }
      const { poly, local } = this.poly(values, k, comp)
      const r = poly.rangeOf(cols.map((j) => local.get(j) as number))
      min += r.min
      max += r.max
    }
    return { min, max }
  }
}
