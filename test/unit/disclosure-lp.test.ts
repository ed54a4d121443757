/**
 * The two solvers behind the disclosure control: the engine's floating-point simplex (lp.ts) and
 * the auditor's exact one (audit-lp.ts). Hand-solved systems first, then both against each other
 * on random systems that have a known non-negative solution.
 */
import { describe, expect, it } from 'vitest'
import { Polyhedron, type LinearRow } from '../../api/analyst/lp.ts'
import { ExactSystem, fromNumber, toNumber } from '../../api/analyst/audit-lp.ts'

type Case = { name: string; vars: number; rows: LinearRow[]; ranges: Array<[number, number]> | 'infeasible' }

const row = (terms: Array<[number, number]>, rhs: number): LinearRow => ({ cols: terms.map((t) => t[0]), coefs: terms.map((t) => t[1]), rhs })

const cases: Case[] = [
  { name: 'x + y = 10', vars: 2, rows: [row([[0, 1], [1, 1]], 10)], ranges: [[0, 10], [0, 10]] },
  { name: 'x + y = 10, x − z = 2', vars: 3, rows: [row([[0, 1], [1, 1]], 10), row([[0, 1], [2, -1]], 2)], ranges: [[2, 10], [0, 8], [0, 8]] },
  { name: 'x − y = 3 leaves x unbounded above', vars: 2, rows: [row([[0, 1], [1, -1]], 3)], ranges: [[3, Infinity], [0, Infinity]] },
  { name: 'a repeated (redundant) row changes nothing', vars: 2, rows: [row([[0, 1], [1, 1]], 10), row([[0, 1], [1, 1]], 10), row([[0, -1], [1, -1]], -10)], ranges: [[0, 10], [0, 10]] },
  { name: 'a 2 × 2 table with its margins known is a rectangle: one free direction', vars: 4, rows: [row([[0, 1], [1, 1]], 7), row([[2, 1], [3, 1]], 5), row([[0, 1], [2, 1]], 6), row([[1, 1], [3, 1]], 6)], ranges: [[1, 6], [1, 6], [0, 5], [0, 5]] },
  { name: 'x = 4 pins x', vars: 2, rows: [row([[0, 1]], 4), row([[0, 1], [1, 1]], 9)], ranges: [[4, 4], [5, 5]] },
  { name: 'x + y = −1 has no non-negative solution', vars: 2, rows: [row([[0, 1], [1, 1]], -1)], ranges: 'infeasible' },
]

describe('disclosure LP', () => {
  for (const c of cases) {
    it(`float simplex: ${c.name}`, () => {
      const p = Polyhedron.of(c.vars, c.rows)
      if (c.ranges === 'infeasible') return expect(p).toBeUndefined()
      c.ranges.forEach(([min, max], j) => {
        const r = (p as Polyhedron).range(j)
        expect(r.min).toBeCloseTo(min, 9)
        if (max === Infinity) expect(r.max).toBe(Infinity)
        else expect(r.max).toBeCloseTo(max, 9)
      })
    })
    it(`exact simplex: ${c.name}`, () => {
      const s = ExactSystem.of(
        c.vars,
        c.rows.map((r) => ({ terms: r.cols.map((j, k) => [j, r.coefs[k] as number] as const), rhs: fromNumber(r.rhs) })),
      )
      if (c.ranges === 'infeasible') return expect(s).toBeUndefined()
      c.ranges.forEach(([min, max], j) => {
        const r = (s as ExactSystem).range(j)
        expect(toNumber(r.min)).toBe(min)
        expect(r.max === undefined ? Infinity : toNumber(r.max)).toBe(max)
      })
    })
  }

  it('both simplexes agree on random table-like systems with a known non-negative solution', () => {
    let seed = 12345
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
    for (let trial = 0; trial < 40; trial++) {
      const vars = 3 + Math.floor(rnd() * 7)
      const x = Array.from({ length: vars }, () => (rnd() < 0.2 ? 0 : Math.floor(rnd() * 100)))
      const rows: LinearRow[] = []
      const nrows = 1 + Math.floor(rnd() * vars)
      for (let r = 0; r < nrows; r++) {
        const terms: Array<[number, number]> = []
        for (let j = 0; j < vars; j++) if (rnd() < 0.4) terms.push([j, rnd() < 0.3 ? -1 : 1])
        if (terms.length === 0) continue
        rows.push(row(terms, terms.reduce((a, [j, c]) => a + c * (x[j] as number), 0)))
      }
      const p = Polyhedron.of(vars, rows) as Polyhedron
      const s = ExactSystem.of(vars, rows.map((r) => ({ terms: r.cols.map((j, k) => [j, r.coefs[k] as number] as const), rhs: fromNumber(r.rhs) }))) as ExactSystem
      expect(p).toBeDefined()
      expect(s).toBeDefined()
      for (let j = 0; j < vars; j++) {
        const a = p.range(j)
        const b = s.range(j)
        expect(a.min).toBeCloseTo(toNumber(b.min), 6)
        expect(a.min).toBeLessThanOrEqual((x[j] as number) + 1e-9)
        if (b.max === undefined) expect(a.max).toBe(Infinity)
        else {
          expect(a.max).toBeCloseTo(toNumber(b.max), 6)
          expect(a.max).toBeGreaterThanOrEqual((x[j] as number) - 1e-9)
        }
      }
    }
  })

  it('exact rationals hold doubles exactly', () => {
    expect(fromNumber(0.1)).toEqual({ n: 3602879701896397n, d: 36028797018963968n })
    expect(toNumber(fromNumber(1234.5))).toBe(1234.5)
    expect(fromNumber(-3)).toEqual({ n: -3n, d: 1n })
  })
})
