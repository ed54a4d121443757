/**
 * How `sliceTotals` reads a list of slices: each slice is cut into the coarsest rollup buckets that
 * fit inside it (hours, then half hours, quarter hours, minutes) and, at edges that are not on a minute,
 * pieces shorter than a minute that only raw rows can answer. A slice is also cut at `now`: state
 * time exists only before it, units and energy count by their own time on both sides.
 */
import { ApiError } from '../errors.ts'

export const MINUTE_MS = 60_000
export const QUARTER_MS = 900_000
export const HALF_HOUR_MS = 1_800_000
export const HOUR_MS = 3_600_000

/** A span of time [start, end), epoch ms. */
export interface SliceSpan {
  readonly start: number
  readonly end: number
}

/**
 * Rollup buckets of one size, as two index-aligned arrays for ClickHouse's `transform`: the
 * bucket's start in epoch seconds, and its code `slice * 2 + states + 1` (`states` 1 when the
 * bucket lies before `now`, so its state time counts).
 */
export interface BucketCodes {
  readonly keys: number[]
  readonly codes: number[]
}

/** A piece of a slice shorter than a minute, inside one minute: only raw rows can answer it. */
export interface EdgePiece {
  readonly start: number
  readonly end: number
  readonly slice: number
  /** Whether the piece lies before `now` (its state time counts). */
  readonly states: boolean
  /** Start of the minute it lies in, epoch ms. */
  readonly minute: number
}

export interface SlicePieces {
  readonly hours: BucketCodes
  readonly halfHours: BucketCodes
  readonly quarters: BucketCodes
  readonly minutes: BucketCodes
  readonly edges: EdgePiece[]
  /** Per slice, where its state time ends: `now` clamped into the slice. */
  readonly stateEnds: number[]
}

/** Decodes a bucket code: slice index and whether state time counts. */
export function decodeCode(code: number): { slice: number; states: boolean } {
  return { slice: (code - 1) >> 1, states: ((code - 1) & 1) === 1 }
}

const floorTo = (t: number, unit: number): number => Math.floor(t / unit) * unit
const ceilTo = (t: number, unit: number): number => Math.ceil(t / unit) * unit

/** Checks that slices are spans of whole epoch ms (start <= end), sorted and not overlapping. */
export function checkSlices(slices: ReadonlyArray<SliceSpan>): void {
  for (let i = 0; i < slices.length; i++) {
    const s = slices[i] as SliceSpan
    if (!Number.isSafeInteger(s.start) || !Number.isSafeInteger(s.end) || s.end < s.start) {
      throw new ApiError('SHOPFLOOR_API_INTERNAL', `sliceTotals: slice ${i} [${s.start}, ${s.end}) must be whole epoch milliseconds with start <= end`)
    }
    const prev = slices[i - 1]
    if (prev && s.start < prev.end) {
      throw new ApiError('SHOPFLOOR_API_INTERNAL', `sliceTotals: slice ${i} starts at ${s.start}, before slice ${i - 1} ends (${prev.end}): slices must be sorted and must not overlap`)
    }
  }
}

/** Cuts the slices into rollup buckets and sub-minute edge pieces (see the file's comment). */
export function slicePieces(slices: ReadonlyArray<SliceSpan>, now: number): SlicePieces {
  checkSlices(slices)
  const hours: BucketCodes = { keys: [], codes: [] }
  const halfHours: BucketCodes = { keys: [], codes: [] }
  const quarters: BucketCodes = { keys: [], codes: [] }
  const minutes: BucketCodes = { keys: [], codes: [] }
  const edges: EdgePiece[] = []
  const stateEnds: number[] = []
  let slice = 0
  let code = 0
  const edge = (start: number, end: number, states: boolean): void => {
    edges.push({ start, end, slice, states, minute: floorTo(start, MINUTE_MS) })
  }
  // Coarsest first: each bucket size takes the whole buckets of what the coarser ones left.
  const ladder: ReadonlyArray<readonly [number, BucketCodes]> = [
    [HOUR_MS, hours],
    [HALF_HOUR_MS, halfHours],
    [QUARTER_MS, quarters],
    [MINUTE_MS, minutes],
  ]
  // [p, q) on whole minutes, from rung `r` of the ladder down.
  const aligned = (p: number, q: number, r: number): void => {
    if (p >= q) return
    const [unit, into] = ladder[r] as readonly [number, BucketCodes]
    const a = ceilTo(p, unit)
    const b = floorTo(q, unit)
    if (a >= b) return aligned(p, q, r + 1)
    aligned(p, a, r + 1)
    for (let t = a; t < b; t += unit) {
      into.keys.push(t / 1000)
      into.codes.push(code)
    }
    aligned(b, q, r + 1)
  }
  const range = (x: number, y: number, states: boolean): void => {
    if (y <= x) return
    code = slice * 2 + (states ? 1 : 0) + 1
    const m0 = ceilTo(x, MINUTE_MS)
    const m1 = floorTo(y, MINUTE_MS)
    if (m0 >= m1) {
      // No whole minute inside: one piece, or two when it straddles a minute's start.
      if (m0 > x && m0 < y) {
        edge(x, m0, states)
        edge(m0, y, states)
      } else edge(x, y, states)
      return
    }
    if (x < m0) edge(x, m0, states)
    aligned(m0, m1, 0)
    if (m1 < y) edge(m1, y, states)
  }
  for (; slice < slices.length; slice++) {
    const s = slices[slice] as SliceSpan
    const cut = Math.min(s.end, Math.max(s.start, now))
    stateEnds.push(cut)
    range(s.start, cut, true)
    range(cut, s.end, false)
  }
  return { hours, halfHours, quarters, minutes, edges, stateEnds }
}
