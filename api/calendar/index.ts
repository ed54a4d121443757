// Public surface of the shift calendar: plan segments and reporting buckets on the factory's clock.
export { CalendarSchema, WEEKDAYS, type Calendar, type Shift, type ShiftBreak, type Holiday, type PlannedDowntime, type Weekday } from './schema.ts'
export { calendarProblem, shiftMinutes } from './check.ts'
export { planSegments, shiftOccurrences, type PlanKind, type PlanSegment, type ShiftRef, type ShiftOccurrence } from './plan.ts'
export { buckets, BUCKET_SIZES, type Bucket, type BucketSize } from './buckets.ts'
export { isTimeZone, zoneOffset, toWall, fromWall, localDate } from './zone.ts'
