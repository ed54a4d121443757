/**
 * Local dates and times as plain numbers: a date is its day number (days since 1970-01-01), a
 * time of day its minute (0..1440). The conversions to instants live in zone.ts.
 */
import type { Weekday } from './schema.ts'

export const DAY_MS = 86_400_000
export const MINUTE_MS = 60_000

/** `"06:30"` -> 390; `"24:00"` -> 1440. The string is already validated. */
export function minuteOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
}

/** `"2026-11-21"` -> its day number, or undefined when the date does not exist (`2026-02-30`). */
export function dayNumber(date: string): number | undefined {
  const y = Number(date.slice(0, 4))
  const m = Number(date.slice(5, 7))
  const d = Number(date.slice(8, 10))
  const ms = Date.UTC(y, m - 1, d)
  const back = new Date(ms)
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) return undefined
  return ms / DAY_MS
}

/** Day number -> `"2026-11-21"`. */
export function dateOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10)
}

/** `"2026-11-21T06:30"` -> local wall ms (see zone.ts `fromWall`), or undefined when the date does not exist. */
export function wallOf(dateTime: string): number | undefined {
  const day = dayNumber(dateTime.slice(0, 10))
  return day === undefined ? undefined : day * DAY_MS + minuteOfDay(dateTime.slice(11, 16)) * MINUTE_MS
}

/** Weekday index of a day number, Monday = 0 (1970-01-01 was a Thursday). */
export function weekdayIndex(day: number): number {
  return (((day + 3) % 7) + 7) % 7
}

const WEEKDAY_NAMES: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']

export function weekdayOf(day: number): Weekday {
  return WEEKDAY_NAMES[weekdayIndex(day)] as Weekday
}

/** ISO 8601 week of a day number: the week-year and week (`2026-W47`); weeks start on Monday, week 1 holds the year's first Thursday. */
export function isoWeek(day: number): { year: number; week: number; key: string } {
  const thursday = day - weekdayIndex(day) + 3
  const year = new Date(thursday * DAY_MS).getUTCFullYear()
  const jan1 = Date.UTC(year, 0, 1) / DAY_MS
  const week = Math.floor((thursday - jan1) / 7) + 1
  return { year, week, key: `${year}-W${String(week).padStart(2, '0')}` }
}
