/**
 * How a request's window is cut for the energy query: into slices that each lie in one reporting
 * bucket, one kind of calendar time (production, break, ...) and one time-of-use class (period,
 * regime, tariff, price, year). Every figure is then a sum over slices: kWh by state per calendar
 * kind gives the ISO 22400 time elements, kWh per class gives cost and CO2.
 */
import { buckets as calendarBuckets, planSegments, type Bucket, type BucketSize, type Calendar } from '../calendar/index.ts'
import { coverWindow, planSlices } from '../kpi/slicing.ts'
import { DAY_MS } from '../calendar/local-time.ts'
import { zoneOffset } from '../calendar/zone.ts'
import { classifyLocal, SLOT_MS, type PricingContext, type SlotClass } from './cost.ts'
import type { TimeKind } from './states.ts'

const MINUTE_MS = 60_000

/** A piece of the window `[start, end)` (epoch ms, whole minutes) of one bucket, calendar kind and time-of-use class. */
export interface EnergySlice {
  readonly start: number
  readonly end: number
  /** Index into {@link EnergyLayout.buckets}; `buckets.length` for time between reported buckets (outside shift buckets, or no buckets asked). */
  readonly bucket: number
  readonly kind: TimeKind
  /** Index into {@link EnergyLayout.classes}. */
  readonly cls: number
}

export interface EnergyLayout {
  readonly from: number
  readonly to: number
  /** Reported buckets; empty when none were asked for. */
  readonly buckets: readonly Bucket[]
  /** Sorted, not overlapping, covering [from, to). */
  readonly slices: readonly EnergySlice[]
  /** Distinct time-of-use classes of the window. */
  readonly classes: readonly SlotClass[]
}

export interface LayoutOptions {
  readonly pricing: PricingContext
  readonly calendar: Calendar
  /** Window, epoch ms on whole minutes (the minute rollup is the finest data read). */
  readonly from: number
  readonly to: number
  readonly bucket: BucketSize | 'none'
}

const classKey = (c: SlotClass): string => `${c.period ?? '-'}|${c.regime?.id ?? '-'}|${c.tariff?.id ?? '-'}|${c.vndPerKwh ?? '-'}|${c.year}`

/** Cuts [from, to) into energy slices (see the file's comment). */
export function energyLayout(o: LayoutOptions): EnergyLayout {
  const { from, to } = o
  if (from % MINUTE_MS !== 0 || to % MINUTE_MS !== 0 || !(to > from)) throw new RangeError(`energyLayout: window [${from}, ${to}) must be whole minutes, to after from`)
  const tz = o.pricing.tz
  const reported = o.bucket === 'none' ? [] : calendarBuckets(o.bucket, o.calendar, tz, from, to)
  const pieces = planSlices(coverWindow(reported, from, to), planSegments(o.calendar, tz, from, to), to)

  // Time-of-use classes per quarter hour, merged into runs.
  const classes: SlotClass[] = []
  const byKey = new Map<string, number>()
  const runs: Array<{ start: number; end: number; cls: number }> = []
  // The zone's offset is looked up once per local day (Intl is slow), per quarter on a day it changes.
  let dayEnd = -Infinity
  let offset = 0
  for (let q = Math.floor(from / SLOT_MS) * SLOT_MS; q < to; q += SLOT_MS) {
    if (q >= dayEnd) {
      offset = zoneOffset(tz, q)
      const wall = q + offset
      const next = q + (DAY_MS - (((wall % DAY_MS) + DAY_MS) % DAY_MS))
      dayEnd = zoneOffset(tz, next - 1) === offset ? next : q + SLOT_MS
    }
    const wall = q + offset
    const day = Math.floor(wall / DAY_MS)
    const c = classifyLocal(o.pricing, { day, slot: Math.floor((wall - day * DAY_MS) / SLOT_MS) })
    const key = classKey(c)
    let cls = byKey.get(key)
    if (cls === undefined) {
      cls = classes.push(c) - 1
      byKey.set(key, cls)
    }
    const start = Math.max(q, from)
    const end = Math.min(q + SLOT_MS, to)
    const last = runs.at(-1)
    if (last && last.cls === cls && last.end === start) last.end = end
    else runs.push({ start, end, cls })
  }

  // Intersect the calendar pieces with the runs (both sorted, both covering [from, to)).
  const slices: EnergySlice[] = []
  let r = 0
  for (const p of pieces) {
    let at = p.start
    while (at < p.end) {
      while ((runs[r] as { end: number }).end <= at) r++
      const run = runs[r] as { start: number; end: number; cls: number }
      const end = Math.min(p.end, run.end)
      const last = slices.at(-1)
      if (last && last.end === at && last.bucket === p.bucket && last.kind === p.kind && last.cls === run.cls) slices[slices.length - 1] = { ...last, end }
      else slices.push({ start: at, end, bucket: p.bucket, kind: p.kind, cls: run.cls })
      at = end
    }
  }
  return { from, to, buckets: reported, slices, classes }
}
