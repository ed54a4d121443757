/**
 * A calendar laid out on real time: each shift occurrence of a period as instants, cut into
 * production, breaks, planned downtime, or a holiday (the whole occurrence).
 */
import { breakOffsets, shiftMinutes } from './check.ts'
import { DAY_MS, MINUTE_MS, dateOf, minuteOfDay, wallOf, weekdayOf } from './local-time.ts'
import type { Calendar } from './schema.ts'
import { fromWall, toWall } from './zone.ts'

export type PlanKind = 'production' | 'break' | 'holiday' | 'planned_downtime'

/** A shift occurrence: its name and production date (local `YYYY-MM-DD` of its start, also when it ends the next day). */
export interface ShiftRef {
  readonly name: string
  readonly date: string
}

/** A piece of planned time, `[start, end)` in epoch ms. */
export interface PlanSegment {
  readonly start: number
  readonly end: number
  readonly kind: PlanKind
  readonly shift: ShiftRef | null
}

/** One shift of the calendar on one production date, as instants. */
export interface ShiftOccurrence {
  readonly shift: ShiftRef
  readonly start: number
  readonly end: number
  /** The whole occurrence falls on a holiday. */
  readonly holiday: boolean
  /** Breaks as `[start, end)` instants, sorted. */
  readonly breaks: ReadonlyArray<{ start: number; end: number }>
}

interface Compiled {
  readonly shifts: ReadonlyArray<{ name: string; days: ReadonlySet<string>; start: number; length: number; breaks: ReadonlyArray<{ start: number; end: number }> }>
  readonly holidays: ReadonlySet<string>
  readonly downtime: ReadonlyArray<{ start: number; end: number }>
  readonly longest: number
}

const compiled = new WeakMap<Calendar, Compiled>()

function compile(cal: Calendar): Compiled {
  let c = compiled.get(cal)
  if (!c) {
    const shifts = cal.shifts.map((s) => ({
      name: s.name,
      days: new Set<string>(s.days),
      start: minuteOfDay(s.start),
      length: shiftMinutes(s),
      breaks: (s.breaks ?? []).map((b) => breakOffsets(s, b)).sort((a, b) => a.start - b.start),
    }))
    c = {
      shifts,
      holidays: new Set((cal.holidays ?? []).map((h) => h.date)),
      downtime: (cal.plannedDowntime ?? []).map((p) => ({ start: wallOf(p.start) ?? 0, end: wallOf(p.end) ?? 0 })),
      longest: Math.max(0, ...shifts.map((s) => s.start + s.length)),
    }
    compiled.set(cal, c)
  }
  return c
}

/** Shift occurrences that overlap `[from, to)`, sorted by start, not clipped. */
export function shiftOccurrences(cal: Calendar, tz: string, from: number, to: number): ShiftOccurrence[] {
  if (!(to > from)) return []
  const c = compile(cal)
  // A shift that started up to `longest` minutes before `from`'s local date may still be running.
  const firstDay = Math.floor(toWall(tz, from) / DAY_MS) - Math.ceil(c.longest / 1440)
  const lastDay = Math.floor(toWall(tz, to) / DAY_MS)
  const out: ShiftOccurrence[] = []
  for (let day = firstDay; day <= lastDay; day++) {
    const weekday = weekdayOf(day)
    const date = dateOf(day)
    const wall0 = day * DAY_MS
    for (const s of c.shifts) {
      if (!s.days.has(weekday)) continue
      const start = fromWall(tz, wall0 + s.start * MINUTE_MS)
      const end = fromWall(tz, wall0 + (s.start + s.length) * MINUTE_MS)
      if (!(end > start) || end <= from || start >= to) continue
      const breaks = s.breaks
        .map((b) => ({ start: fromWall(tz, wall0 + (s.start + b.start) * MINUTE_MS), end: fromWall(tz, wall0 + (s.start + b.end) * MINUTE_MS) }))
        .filter((b) => b.end > b.start)
      out.push({ shift: { name: s.name, date }, start, end, holiday: c.holidays.has(date), breaks })
    }
  }
  return out.sort((a, b) => a.start - b.start)
}

/**
 * The calendar's segments covering `[from, to)`, sorted and clipped to it. Time outside every
 * shift has no segment (it is not planned). Inside a shift: a holiday covers the whole
 * occurrence; otherwise planned downtime wins over a break, a break over production. Adjacent
 * pieces of the same kind and shift are one segment.
 */
export function planSegments(cal: Calendar, tz: string, from: number, to: number): PlanSegment[] {
  const c = compile(cal)
  const downtime = c.downtime.map((p) => ({ start: fromWall(tz, p.start), end: fromWall(tz, p.end) }))
  const out: PlanSegment[] = []
  const push = (start: number, end: number, kind: PlanKind, shift: ShiftRef): void => {
    const s = Math.max(start, from)
    const e = Math.min(end, to)
    if (!(e > s)) return
    const last = out[out.length - 1]
    if (last && last.end === s && last.kind === kind && last.shift === shift) out[out.length - 1] = { ...last, end: e }
    else out.push({ start: s, end: e, kind, shift })
  }
  for (const occ of shiftOccurrences(cal, tz, from, to)) {
    if (occ.holiday) {
      push(occ.start, occ.end, 'holiday', occ.shift)
      continue
    }
    const pd = downtime.filter((p) => p.start < occ.end && occ.start < p.end)
    const cuts = new Set<number>([occ.start, occ.end])
    for (const x of [...occ.breaks, ...pd]) {
      if (x.start > occ.start && x.start < occ.end) cuts.add(x.start)
      if (x.end > occ.start && x.end < occ.end) cuts.add(x.end)
    }
    const points = [...cuts].sort((a, b) => a - b)
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i] as number
      const b = points[i + 1] as number
      const inside = (x: { start: number; end: number }): boolean => x.start <= a && b <= x.end
      const kind: PlanKind = pd.some(inside) ? 'planned_downtime' : occ.breaks.some(inside) ? 'break' : 'production'
      push(a, b, kind, occ.shift)
    }
  }
  return out
}
