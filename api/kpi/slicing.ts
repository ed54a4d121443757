import { PLAN_PARTS, type OutsideKind } from './totals.ts'

/** A span of time [start, end), epoch ms. */
export interface Span {
  readonly start: number
  readonly end: number
}

/** A calendar segment as `planSegments` (api/calendar) gives it. */
export interface PlanSpan extends Span {
  readonly kind: 'production' | 'break' | 'holiday' | 'planned_downtime'
}

/** A piece of one bucket that is all of one kind of calendar time. */
export interface PlannedSlice extends Span {
  /** Index of the bucket it belongs to. */
  readonly bucket: number
  /** `production` counts in PBT; the rest is reported beside it. `no_shift`: outside every shift. */
  readonly kind: 'production' | OutsideKind
}

/** A span of the window and the bucket it counts in. */
export interface BucketSpan extends Span {
  readonly bucket: number
}

/**
 * The window [from, to) as spans of `buckets` (sorted, not overlapping, inside the window), with
 * the time between them (shift buckets leave out time outside shifts) as spans of one extra
 * bucket, index `buckets.length`: it counts in the window's totals but is no reported bucket.
 */
export function coverWindow(buckets: readonly Span[], from: number, to: number): BucketSpan[] {
  const out: BucketSpan[] = []
  const extra = buckets.length
  let at = from
  for (let b = 0; b < buckets.length; b++) {
    const { start, end } = buckets[b] as Span
    if (start > at) out.push({ start: at, end: start, bucket: extra })
    out.push({ start, end, bucket: b })
    at = Math.max(at, end)
  }
  if (at < to) out.push({ start: at, end: to, bucket: extra })
  return out
}

/**
 * Cuts bucket spans by calendar segments: each span ∩ each segment becomes a slice of the
 * segment's kind, and time in a span that no segment covers a `no_shift` slice. Slices are
 * sorted, do not overlap, end at `until` at the latest (now: the future has no state time yet),
 * and neighbours of the same bucket and kind are merged (a stop is classed by its whole length
 * whatever the slices, so merging changes no total, only the number of slices to query).
 * `spans` and `segments` must each be sorted and not overlap.
 */
export function planSlices(spans: readonly BucketSpan[], segments: readonly PlanSpan[], until: number): PlannedSlice[] {
  const out: Array<{ start: number; end: number; bucket: number; kind: PlannedSlice['kind'] }> = []
  const push = (start: number, end: number, bucket: number, kind: PlannedSlice['kind']): void => {
    const e = Math.min(end, until)
    if (e <= start) return
    const last = out.at(-1)
    if (last && last.bucket === bucket && last.kind === kind && last.end === start) last.end = e
    else out.push({ start, end: e, bucket, kind })
  }
  let s = 0
  for (const span of spans) {
    const b = span.bucket
    let at = span.start
    while (s < segments.length && (segments[s] as PlanSpan).end <= at) s++
    for (let i = s; i < segments.length && at < span.end; i++) {
      const seg = segments[i] as PlanSpan
      if (seg.start >= span.end) break
      if (seg.end <= at) continue
      if (seg.start > at) push(at, seg.start, b, 'no_shift')
      const start = Math.max(seg.start, at)
      const end = Math.min(seg.end, span.end)
      push(start, end, b, seg.kind)
      at = end
    }
    if (at < span.end) push(at, span.end, b, 'no_shift')
  }
  return out
}

/**
 * Where each slice's totals add up: its bucket and kind as one index, bucket × PLAN_PARTS.length +
 * the kind's place in PLAN_PARTS (api/kpi/totals.ts), so that totals summed by these indexes are
 * the buckets' plan totals in flat form, PLAN_WIDTH numbers a bucket.
 */
export function planGroups(slices: readonly PlannedSlice[]): number[] {
  return slices.map((s) => s.bucket * PLAN_PARTS.length + PLAN_PARTS.indexOf(s.kind))
}
