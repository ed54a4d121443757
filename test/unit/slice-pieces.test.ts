// How sliceTotals cuts slices into rollup buckets and sub-minute edges: every millisecond of every
// slice in exactly one piece, the coarsest bucket that fits, edges only where needed.
import { describe, expect, it } from 'vitest'
import { HALF_HOUR_MS, HOUR_MS, MINUTE_MS, QUARTER_MS, decodeCode, slicePieces, type SlicePieces, type SliceSpan } from '../../api/queries/slice-pieces.ts'

const H = Date.UTC(2026, 5, 1, 8) // a whole hour

/** Every piece as [start, end, slice, states], sorted. */
function spans(p: SlicePieces): Array<[number, number, number, boolean]> {
  const out: Array<[number, number, number, boolean]> = []
  for (const [codes, unit] of [[p.hours, HOUR_MS], [p.halfHours, HALF_HOUR_MS], [p.quarters, QUARTER_MS], [p.minutes, MINUTE_MS]] as const) {
    codes.keys.forEach((k, i) => {
      const { slice, states } = decodeCode(codes.codes[i] as number)
      out.push([k * 1000, k * 1000 + unit, slice, states])
    })
  }
  for (const e of p.edges) {
    expect(e.end - e.start).toBeLessThan(MINUTE_MS)
    expect(Math.floor(e.start / MINUTE_MS)).toBe(Math.floor((e.end - 1) / MINUTE_MS))
    out.push([e.start, e.end, e.slice, e.states])
  }
  return out.sort((a, b) => a[0] - b[0])
}

describe('slicePieces', () => {
  it.each<[string, SliceSpan[], number, { hours: number; halfHours: number; quarters: number; minutes: number; edges: number }]>([
    ['two whole hours', [{ start: H, end: H + 2 * HOUR_MS }], H + 10 * HOUR_MS, { hours: 2, halfHours: 0, quarters: 0, minutes: 0, edges: 0 }],
    ['a shift 06:00-10:00 and a break 10:00-10:30', [{ start: H, end: H + 4 * HOUR_MS }, { start: H + 4 * HOUR_MS, end: H + 4.5 * HOUR_MS }], H + 10 * HOUR_MS, { hours: 4, halfHours: 1, quarters: 0, minutes: 0, edges: 0 }],
    ['a break 10:15-10:30', [{ start: H + 15 * MINUTE_MS, end: H + 30 * MINUTE_MS }], H + 10 * HOUR_MS, { hours: 0, halfHours: 0, quarters: 1, minutes: 0, edges: 0 }],
    ['odd ms at both ends', [{ start: H - 17 * MINUTE_MS - 123, end: H + HOUR_MS + 16 * MINUTE_MS + 5 }], H + 10 * HOUR_MS, { hours: 1, halfHours: 0, quarters: 2, minutes: 3, edges: 2 }],
    ['under a minute, inside one', [{ start: H + 1000, end: H + 2000 }], H + 10 * HOUR_MS, { hours: 0, halfHours: 0, quarters: 0, minutes: 0, edges: 1 }],
    ['under a minute, across a minute start', [{ start: H - 1000, end: H + 2000 }], H + 10 * HOUR_MS, { hours: 0, halfHours: 0, quarters: 0, minutes: 0, edges: 2 }],
    ['cut by now inside a minute', [{ start: H, end: H + HOUR_MS }], H + 20 * MINUTE_MS + 300, { hours: 0, halfHours: 1, quarters: 1, minutes: 14, edges: 2 }],
    ['entirely after now', [{ start: H, end: H + HOUR_MS }], H - 1, { hours: 1, halfHours: 0, quarters: 0, minutes: 0, edges: 0 }],
    ['empty slice', [{ start: H, end: H }], H + HOUR_MS, { hours: 0, halfHours: 0, quarters: 0, minutes: 0, edges: 0 }],
  ])('slicePieces cuts %s into the coarsest buckets', (_, slices, now, want) => {
    const p = slicePieces(slices, now)
    expect({ hours: p.hours.keys.length, halfHours: p.halfHours.keys.length, quarters: p.quarters.keys.length, minutes: p.minutes.keys.length, edges: p.edges.length }).toEqual(want)
    // Together the pieces are the slices, exactly, each piece on the right side of now.
    const got = spans(p)
    for (let i = 1; i < got.length; i++) expect(got[i]?.[0]).toBeGreaterThanOrEqual(got[i - 1]?.[1] as number)
    for (const [i, s] of slices.entries()) {
      const mine = got.filter((x) => x[2] === i)
      expect(mine.reduce((a, x) => a + (x[1] - x[0]), 0)).toBe(s.end - s.start)
      for (const [a, b, , states] of mine) expect(states ? b <= now : a >= now).toBe(true)
      expect(p.stateEnds[i]).toBe(Math.min(s.end, Math.max(s.start, now)))
    }
  })

  it('slicePieces covers random slices exactly, whatever their edges', () => {
    let x = 12345
    const rand = (): number => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const slices: SliceSpan[] = []
    let t = H - 7 * HOUR_MS + 31
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(rand() * (rand() < 0.3 ? 90_000 : 3 * HOUR_MS))
      slices.push({ start: t, end: t + len })
      t += len + (rand() < 0.5 ? 0 : Math.floor(rand() * 600_000))
    }
    const now = slices[200]?.start ?? 0 + 4321
    const got = spans(slicePieces(slices, now))
    for (const [i, s] of slices.entries()) expect(got.filter((g) => g[2] === i).reduce((a, g) => a + (g[1] - g[0]), 0)).toBe(s.end - s.start)
  })
})
