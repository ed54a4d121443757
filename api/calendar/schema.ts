/**
 * A shift calendar as operators write it in `api/seed/calendars.yaml` (and golden cases in their
 * own files): shifts by weekday on local wall-clock times, breaks inside shifts, holidays, planned
 * downtime windows. The timezone is the factory's, not the calendar's, so one calendar serves
 * plants in several zones.
 */
import Type, { type Static } from 'typebox'

/** Weekdays in ISO order (Monday first); a shift's `days` name the day it *starts*. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]

const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'letters, digits, ".", "_", "-"' })
const StartTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'a time of day "HH:MM" on whole minutes, 00:00 to 23:59' })
const EndTime = Type.String({ pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$', description: 'a time of day "HH:MM" on whole minutes, 00:00 to 24:00' })
const LocalDate = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', description: 'a date "YYYY-MM-DD"' })
const LocalDateTime = Type.String({
  pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]$',
  description: 'a local date and time "YYYY-MM-DDTHH:MM" on whole minutes, without offset (the factory\'s timezone applies)',
})

export const BreakSchema = Type.Object(
  {
    /** Wall-clock start; a break after midnight in a night shift is written as such ("02:00"). */
    start: StartTime,
    end: EndTime,
    name: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
)

export const ShiftSchema = Type.Object(
  {
    /** Shift name, unique per weekday; bucket keys are `<production date>/<name>` (`2026-11-21/A`). */
    name: Name,
    /** Days the shift starts on. Its production date is the date of its start, also when it ends after midnight. */
    days: Type.Array(Type.Enum([...WEEKDAYS]), { minItems: 1, uniqueItems: true }),
    start: StartTime,
    /** End at or before `start` means the next day ("22:00" to "06:00"); equal to `start`, 24 hours. */
    end: EndTime,
    /** Breaks: not planned busy time. Default none. */
    breaks: Type.Optional(Type.Array(BreakSchema)),
  },
  { additionalProperties: false },
)

export const HolidaySchema = Type.Object(
  {
    /** No production in the shifts whose production date this is. */
    date: LocalDate,
    name: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
)

export const PlannedDowntimeSchema = Type.Object(
  {
    /** Local date-times, end exclusive; only the parts inside shifts count (time outside shifts is not planned anyway). */
    start: LocalDateTime,
    end: LocalDateTime,
    reason: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
)

export const CalendarSchema = Type.Object(
  {
    id: Name,
    name: Type.String({ minLength: 1 }),
    /** Where the shift pattern comes from (collective agreement, plant rule, ...). */
    source: Type.Optional(Type.String({ minLength: 1 })),
    shifts: Type.Array(ShiftSchema),
    /** Default none. */
    holidays: Type.Optional(Type.Array(HolidaySchema)),
    /** Default none. */
    plannedDowntime: Type.Optional(Type.Array(PlannedDowntimeSchema)),
  },
  { additionalProperties: false },
)

/** A shift calendar as validated by {@link CalendarSchema} and {@link calendarProblem}. */
export type Calendar = Static<typeof CalendarSchema>
export type Shift = Static<typeof ShiftSchema>
export type ShiftBreak = Static<typeof BreakSchema>
export type Holiday = Static<typeof HolidaySchema>
export type PlannedDowntime = Static<typeof PlannedDowntimeSchema>
