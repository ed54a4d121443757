/** Rules of a shift calendar that its schema cannot express: times that fit together. */
import type { SchemaProblem } from '../../connectors/index.ts'
import { dayNumber, minuteOfDay, wallOf } from './local-time.ts'
import { WEEKDAYS, type Calendar, type Shift, type ShiftBreak } from './schema.ts'

const DAY_MIN = 1440
const WEEK_MIN = 7 * DAY_MIN

/** Length of a shift in wall-clock minutes: an end at or before the start is on the next day; equal means 24 h. */
export function shiftMinutes(s: Pick<Shift, 'start' | 'end'>): number {
  const start = minuteOfDay(s.start)
  const end = minuteOfDay(s.end)
  return end > start ? end - start : end + DAY_MIN - start
}

/** A break as wall-clock minutes after its shift's start, `[start, end)`; the break may be past midnight. */
export function breakOffsets(shift: Pick<Shift, 'start'>, b: ShiftBreak): { start: number; end: number } {
  const s0 = minuteOfDay(shift.start)
  const start = (minuteOfDay(b.start) - s0 + DAY_MIN) % DAY_MIN
  const end = (minuteOfDay(b.end) - s0 + DAY_MIN) % DAY_MIN
  return { start, end: end <= start ? end + DAY_MIN : end }
}

const hhmm = (min: number): string => `${String(Math.floor(min / 60) % 24).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`

/**
 * The first problem of a schema-valid calendar, path relative to the calendar: a break outside
 * its shift or overlapping another break, shifts that overlap in the week (also across midnight
 * and from Sunday into Monday), a shift name twice on one day, a date that does not exist, a
 * planned downtime that ends before it starts.
 */
export function calendarProblem(cal: Calendar): SchemaProblem | undefined {
  const spans: Array<{ start: number; end: number; shift: number; day: number }> = []
  for (const [si, shift] of cal.shifts.entries()) {
    const length = shiftMinutes(shift)
    const breaks = (shift.breaks ?? []).map((b) => breakOffsets(shift, b))
    for (const [bi, b] of breaks.entries()) {
      const raw = shift.breaks?.[bi] as ShiftBreak
      if (b.end > length) {
        return { path: ['shifts', si, 'breaks', bi], problem: `${raw.start}-${raw.end} is not inside shift "${shift.name}" (${shift.start}-${shift.end})` }
      }
      const other = breaks.findIndex((o, oi) => oi < bi && o.start < b.end && b.start < o.end)
      if (other >= 0) return { path: ['shifts', si, 'breaks', bi], problem: `${raw.start}-${raw.end} overlaps breaks[${other}] of the same shift` }
    }
    for (const day of shift.days) {
      const d = WEEKDAYS.indexOf(day)
      const start = d * DAY_MIN + minuteOfDay(shift.start)
      spans.push({ start, end: start + length, shift: si, day: d })
    }
  }
  for (const [i, a] of spans.entries()) {
    for (const b of spans.slice(0, i)) {
      const sa = cal.shifts[a.shift] as Shift
      const sb = cal.shifts[b.shift] as Shift
      if (a.shift !== b.shift && a.day === b.day && sa.name === sb.name) {
        return { path: ['shifts', a.shift, 'name'], problem: `"${sa.name}" is also the name of shifts[${b.shift}] on ${WEEKDAYS[a.day]}; a shift name must be unique per day` }
      }
      // Compare on the week's circle: a Sunday night shift runs into Monday.
      const overlaps = [-WEEK_MIN, 0, WEEK_MIN].some((k) => a.start + k < b.end && b.start < a.end + k)
      if (overlaps) {
        return {
          path: ['shifts', a.shift],
          problem: `"${sa.name}" on ${WEEKDAYS[a.day]} (${sa.start}-${sa.end}) overlaps shift "${sb.name}" starting ${WEEKDAYS[b.day]} ${hhmm(b.start % DAY_MIN)}`,
        }
      }
    }
  }
  for (const [i, h] of (cal.holidays ?? []).entries()) {
    if (dayNumber(h.date) === undefined) return { path: ['holidays', i, 'date'], problem: `is not a date of the calendar (got "${h.date}")` }
  }
  for (const [i, p] of (cal.plannedDowntime ?? []).entries()) {
    const start = wallOf(p.start)
    const end = wallOf(p.end)
    if (start === undefined) return { path: ['plannedDowntime', i, 'start'], problem: `is not a date of the calendar (got "${p.start}")` }
    if (end === undefined) return { path: ['plannedDowntime', i, 'end'], problem: `is not a date of the calendar (got "${p.end}")` }
    if (end <= start) return { path: ['plannedDowntime', i, 'end'], problem: `must be after start ${p.start} (got "${p.end}")` }
  }
  return undefined
}
