import { describe, expect, it } from 'vitest'
import { calendarProblem, fromWall, isTimeZone, type Calendar } from '../../api/calendar/index.ts'
import { formatPath } from '../../connectors/index.ts'

const base = (shifts: Calendar['shifts'], extra: Partial<Calendar> = {}): Calendar => ({ id: 'c', name: 'c', shifts, ...extra })

describe('calendarProblem', () => {
  const cases: Array<{ name: string; cal: Calendar; want: string | undefined }> = [
    {
      name: 'accepts a three-shift week with a night break after midnight',
      cal: base([
        { name: 'A', days: ['mon', 'sun'], start: '06:00', end: '14:00', breaks: [{ start: '10:00', end: '10:30' }] },
        { name: 'C', days: ['mon', 'sun'], start: '22:00', end: '06:00', breaks: [{ start: '02:00', end: '02:30' }, { start: '05:30', end: '06:00' }] },
      ]),
      want: undefined,
    },
    {
      name: 'rejects a break outside its shift',
      cal: base([{ name: 'A', days: ['mon'], start: '06:00', end: '14:00', breaks: [{ start: '13:30', end: '14:30' }] }]),
      want: 'shifts[0].breaks[0] 13:30-14:30 is not inside shift "A" (06:00-14:00)',
    },
    {
      name: 'rejects overlapping breaks',
      cal: base([{ name: 'A', days: ['mon'], start: '06:00', end: '14:00', breaks: [{ start: '10:00', end: '10:30' }, { start: '10:15', end: '10:45' }] }]),
      want: 'shifts[0].breaks[1] 10:15-10:45 overlaps breaks[0] of the same shift',
    },
    {
      name: 'rejects overlapping shifts on a day',
      cal: base([
        { name: 'A', days: ['tue'], start: '06:00', end: '14:00' },
        { name: 'B', days: ['tue'], start: '13:00', end: '21:00' },
      ]),
      want: 'shifts[1] "B" on tue (13:00-21:00) overlaps shift "A" starting tue 06:00',
    },
    {
      name: 'rejects a Sunday night shift running into a Monday morning shift',
      cal: base([
        { name: 'A', days: ['mon'], start: '05:00', end: '13:00' },
        { name: 'C', days: ['sun'], start: '22:00', end: '06:00' },
      ]),
      want: 'shifts[1] "C" on sun (22:00-06:00) overlaps shift "A" starting mon 05:00',
    },
    {
      name: 'rejects one shift name twice on a day',
      cal: base([
        { name: 'A', days: ['wed'], start: '06:00', end: '10:00' },
        { name: 'A', days: ['wed'], start: '12:00', end: '14:00' },
      ]),
      want: 'shifts[1].name "A" is also the name of shifts[0] on wed; a shift name must be unique per day',
    },
    {
      name: 'rejects a holiday that does not exist',
      cal: base([], { holidays: [{ date: '2026-02-30', name: 'x' }] }),
      want: 'holidays[0].date is not a date of the calendar (got "2026-02-30")',
    },
    {
      name: 'rejects planned downtime that ends before it starts',
      cal: base([], { plannedDowntime: [{ start: '2026-03-01T18:00', end: '2026-03-01T06:00', reason: 'PM' }] }),
      want: 'plannedDowntime[0].end must be after start 2026-03-01T18:00 (got "2026-03-01T06:00")',
    },
  ]
  for (const c of cases) {
    it(`calendarProblem ${c.name}`, () => {
      const p = calendarProblem(c.cal)
      expect(p === undefined ? undefined : `${formatPath(p.path)} ${p.problem}`).toBe(c.want)
    })
  }
})

describe('time zones', () => {
  it('isTimeZone knows IANA zones and refuses others', () => {
    expect([isTimeZone('Asia/Ho_Chi_Minh'), isTimeZone('Asia/Saigon'), isTimeZone('Mars/Olympus'), isTimeZone('')]).toEqual([true, true, false, false])
  })

  it('fromWall reads a skipped wall time after the jump and a repeated one as its first occurrence', () => {
    const NY = 'America/New_York'
    expect(new Date(fromWall(NY, Date.UTC(2026, 2, 8, 2, 30))).toISOString()).toBe('2026-03-08T07:30:00.000Z')
    expect(new Date(fromWall(NY, Date.UTC(2026, 10, 1, 1, 30))).toISOString()).toBe('2026-11-01T05:30:00.000Z')
    expect(new Date(fromWall('Asia/Ho_Chi_Minh', Date.UTC(2026, 10, 21, 6, 0))).toISOString()).toBe('2026-11-20T23:00:00.000Z')
  })
})
