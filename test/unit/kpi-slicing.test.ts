import { describe, expect, it } from 'vitest'
import { coverWindow, planGroups, planSlices, type BucketSpan, type PlanSpan, type Span } from '../../api/kpi/slicing.ts'
import { emptyPlanTotals, emptyTotals, FIELD, PLAN_PARTS, PLAN_WIDTH, planAt, planGrid, planSum, TOTALS_FIELDS } from '../../api/kpi/totals.ts'

// Hours as numbers keep the cases readable: h(6) is 06:00 on the test day.
const h = (hours: number): number => Date.UTC(2026, 10, 21) + hours * 3_600_000
const span = (a: number, b: number): Span => ({ start: h(a), end: h(b) })
const spans = (list: Span[]): BucketSpan[] => list.map((s, bucket) => ({ ...s, bucket }))
const seg = (a: number, b: number, kind: PlanSpan['kind']): PlanSpan => ({ start: h(a), end: h(b), kind })
const NEVER = h(1000)

describe('planSlices', () => {
  it.each([
    {
      name: 'one bucket, a shift with a break, time outside the shift',
      buckets: [span(0, 24)],
      segments: [seg(6, 10, 'production'), seg(10, 10.5, 'break'), seg(10.5, 14, 'production')],
      until: NEVER,
      want: [
        [0, 6, 0, 'no_shift'],
        [6, 10, 0, 'production'],
        [10, 10.5, 0, 'break'],
        [10.5, 14, 0, 'production'],
        [14, 24, 0, 'no_shift'],
      ],
    },
    {
      name: 'a night shift split at the day boundary',
      buckets: [span(0, 24), span(24, 48)],
      segments: [seg(22, 30, 'production')],
      until: NEVER,
      want: [
        [0, 22, 0, 'no_shift'],
        [22, 24, 0, 'production'],
        [24, 30, 1, 'production'],
        [30, 48, 1, 'no_shift'],
      ],
    },
    {
      name: 'back-to-back shifts merged inside a bucket, kept apart across buckets',
      buckets: [span(6, 14), span(14, 22)],
      segments: [seg(6, 14, 'production'), seg(14, 22, 'production')],
      until: NEVER,
      want: [
        [6, 14, 0, 'production'],
        [14, 22, 1, 'production'],
      ],
    },
    {
      name: 'a holiday and planned downtime',
      buckets: [span(0, 8)],
      segments: [seg(0, 2, 'holiday'), seg(2, 3, 'planned_downtime'), seg(3, 8, 'production')],
      until: NEVER,
      want: [
        [0, 2, 0, 'holiday'],
        [2, 3, 0, 'planned_downtime'],
        [3, 8, 0, 'production'],
      ],
    },
    {
      name: 'a window reaching past now: slices end at now',
      buckets: [span(0, 1), span(1, 2), span(2, 3)],
      segments: [seg(0, 3, 'production')],
      until: h(1.5),
      want: [
        [0, 1, 0, 'production'],
        [1, 1.5, 1, 'production'],
      ],
    },
    { name: 'no calendar at all', buckets: [span(0, 2)], segments: [], until: NEVER, want: [[0, 2, 0, 'no_shift']] },
    {
      name: 'segments wider than the buckets are clipped to them',
      buckets: [span(8, 9)],
      segments: [seg(6, 14, 'production')],
      until: NEVER,
      want: [[8, 9, 0, 'production']],
    },
  ])('planSlices cuts $name', ({ buckets, segments, until, want }) => {
    const got = planSlices(spans(buckets), segments, until)
    expect(got.map((s) => [(s.start - h(0)) / 3_600_000, (s.end - h(0)) / 3_600_000, s.bucket, s.kind])).toEqual(want)
  })
})

describe('coverWindow', () => {
  it.each([
    { name: 'buckets that cover the window', buckets: [span(0, 24), span(24, 48)], want: [[0, 24, 0], [24, 48, 1]] },
    // Shift buckets 06-14 and 14-22 in a 00-24 window: the night goes to the extra bucket 2.
    { name: 'shift buckets with time between them', buckets: [span(6, 14), span(14, 22)], want: [[0, 6, 2], [6, 14, 0], [14, 22, 1], [22, 24, 2]] },
    { name: 'no buckets at all', buckets: [], want: [[0, 24, 0]] },
  ])('coverWindow covers the window given $name', ({ buckets, want }) => {
    expect(coverWindow(buckets, h(0), h(24)).map((s) => [(s.start - h(0)) / 3_600_000, (s.end - h(0)) / 3_600_000, s.bucket])).toEqual(want)
  })
})

describe('planGroups', () => {
  it('planGroups sends each slice to its bucket and kind, so that sums by group are the buckets\' plan totals', () => {
    const slices = planSlices(spans([span(0, 24), span(24, 48)]), [seg(6, 10, 'production'), seg(10, 11, 'break'), seg(30, 34, 'production')], NEVER)
    const groups = planGroups(slices)
    expect(groups).toEqual(slices.map((s) => s.bucket * PLAN_PARTS.length + PLAN_PARTS.indexOf(s.kind)))
    // Running = the slice's length, one unit each, summed by group as sliceTotals' groups are.
    const flat = new Float64Array(2 * PLAN_WIDTH)
    slices.forEach((s, i) => {
      const at = (groups[i] as number) * TOTALS_FIELDS
      flat[at + FIELD.running] = (flat[at + FIELD.running] as number) + s.end - s.start
      flat[at + FIELD.produced] = (flat[at + FIELD.produced] as number) + 1
    })
    const got = [planAt(flat, 0), planAt(flat, 1)]
    expect(got.map((b) => b.production.running / 3_600_000)).toEqual([4, 4])
    expect(got.map((b) => b.outside.break.running / 3_600_000)).toEqual([1, 0])
    expect(got.map((b) => b.outside.no_shift.running / 3_600_000)).toEqual([24 - 5, 24 - 4])
    expect(got.map((b) => b.production.produced + b.outside.break.produced + b.outside.no_shift.produced)).toEqual([4, 3])
  })
})

describe('plan totals in flat form', () => {
  it('planGrid and planAt turn plan totals into flat form and back', () => {
    const a = { ...emptyPlanTotals(), production: { ...emptyTotals(), running: 5, kwh: 0.25 } }
    const b = { ...emptyPlanTotals(), outside: { ...emptyPlanTotals().outside, holiday: { ...emptyTotals(), offline: 7, failures: 2 } } }
    const grid = planGrid([a, b])
    expect(grid.length).toBe(2 * PLAN_WIDTH)
    expect([planAt(grid, 0), planAt(grid, 1)]).toEqual([a, b])
    expect(planAt(planSum(grid))).toEqual({ production: a.production, outside: { ...a.outside, holiday: b.outside.holiday } })
  })
})
