/**
 * Reporting buckets on the factory's local clock: hours, shifts, calendar days (midnight to
 * midnight), ISO weeks (Monday 00:00), months. Their lengths follow the zone, so a day across a
 * DST change is 23 or 25 hours.
 */
import { DAY_MS, dateOf, isoWeek, weekdayIndex } from './local-time.ts'
import { shiftOccurrences } from './plan.ts'
import type { Calendar } from './schema.ts'
import { fromWall, toWall, zoneOffset } from './zone.ts'

export type BucketSize = 'hour' | 'shift' | 'day' | 'week' | 'month'
export const BUCKET_SIZES: readonly BucketSize[] = ['hour', 'shift', 'day', 'week', 'month']

/**
 * A reporting bucket `[start, end)` in epoch ms. Keys: hour `2026-11-21T06`, shift `2026-11-21/A`
 * (production date / shift name), day `2026-11-21`, week `2026-W47`, month `2026-11`.
 */
export interface Bucket {
  readonly key: string
  readonly start: number
  readonly end: number
}

const HOUR_MS = 3_600_000

function offsetText(ms: number): string {
  const min = Math.round(ms / 60_000)
  const abs = Math.abs(min)
  return `${min < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

function hours(tz: string, from: number, to: number): Bucket[] {
  const out: Bucket[] = []
  const w = toWall(tz, from)
  let start = from - (w - Math.floor(w / HOUR_MS) * HOUR_MS)
  while (start < to) {
    let end = start + HOUR_MS
    // An offset change by a part of an hour (Lord Howe's 30 min) ends the hour early, on the local hour mark.
    end -= toWall(tz, end) % HOUR_MS
    if (end <= start) end = start + HOUR_MS
    const wall = toWall(tz, start)
    const iso = new Date(wall).toISOString()
    let key = `${iso.slice(0, 10)}T${iso.slice(11, 13)}`
    // The hour that clocks set back repeat gets its offset, so that keys stay unique.
    if (out.length > 0 && out[out.length - 1]?.key.slice(0, 13) === key) key += offsetText(zoneOffset(tz, start))
    out.push({ key, start, end })
    start = end
  }
  return out
}

function byDays(tz: string, from: number, to: number, first: (day: number) => number, next: (day: number) => number, key: (day: number) => string): Bucket[] {
  const out: Bucket[] = []
  let day = first(Math.floor(toWall(tz, from) / DAY_MS))
  for (;;) {
    const start = fromWall(tz, day * DAY_MS)
    if (start >= to) break
    const nextDay = next(day)
    const end = fromWall(tz, nextDay * DAY_MS)
    if (end > from && end > start) out.push({ key: key(day), start, end })
    day = nextDay
  }
  return out
}

const monthStart = (day: number): number => {
  const d = new Date(day * DAY_MS)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY_MS
}
const nextMonth = (day: number): number => {
  const d = new Date(day * DAY_MS)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / DAY_MS
}

/**
 * Buckets of `size` covering `[from, to)` in the zone `tz`, sorted; the first and last are
 * clipped to it. Shift buckets are the calendar's shift occurrences (holidays included; time
 * outside shifts is in none), keyed by production date and shift name.
 */
export function buckets(size: BucketSize, cal: Calendar, tz: string, from: number, to: number): Bucket[] {
  if (!(to > from)) return []
  let raw: Bucket[]
  switch (size) {
    case 'hour':
      raw = hours(tz, from, to)
      break
    case 'shift':
      raw = shiftOccurrences(cal, tz, from, to).map((o) => ({ key: `${o.shift.date}/${o.shift.name}`, start: o.start, end: o.end }))
      break
    case 'day':
      raw = byDays(tz, from, to, (d) => d, (d) => d + 1, dateOf)
      break
    case 'week':
      raw = byDays(tz, from, to, (d) => d - weekdayIndex(d), (d) => d + 7, (d) => isoWeek(d).key)
      break
    case 'month':
      raw = byDays(tz, from, to, monthStart, nextMonth, (d) => dateOf(d).slice(0, 7))
      break
  }
  return raw.map((b) => ({ key: b.key, start: Math.max(b.start, from), end: Math.min(b.end, to) })).filter((b) => b.end > b.start)
}
