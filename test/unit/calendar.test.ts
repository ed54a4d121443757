import { describe, expect, it } from 'vitest'
import { buckets, planSegments, type Calendar, type PlanKind } from '../../api/calendar/index.ts'

const VN = 'Asia/Ho_Chi_Minh'
/** Local time in Vietnam (+07:00, no DST) as epoch ms. */
const vn = (local: string): number => Date.parse(`${local}:00+07:00`)
const ALL = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as Calendar['shifts'][number]['days']

const threeShift: Calendar = {
  id: 'three-shift',
  name: 'three shifts',
  shifts: [
    { name: 'A', days: ALL, start: '06:00', end: '14:00', breaks: [{ start: '10:00', end: '10:30' }] },
    { name: 'B', days: ALL, start: '14:00', end: '22:00', breaks: [{ start: '18:00', end: '18:30' }] },
    { name: 'C', days: ALL, start: '22:00', end: '06:00', breaks: [{ start: '02:00', end: '02:30' }] },
  ],
}

type Row = [start: string, end: string, kind: PlanKind, shift: string]
const rows = (segs: ReturnType<typeof planSegments>, tz = VN): Row[] =>
  segs.map((s) => [fmt(s.start, tz), fmt(s.end, tz), s.kind, s.shift ? `${s.shift.date}/${s.shift.name}` : '-'])
function fmt(ms: number, tz: string): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(ms).map((x) => [x.type, x.value]))
  return `${p['year']}-${p['month']}-${p['day']}T${p['hour']}:${p['minute']}`
}

describe('planSegments', () => {
  const cases: Array<{ name: string; cal: Calendar; from: string; to: string; want: Row[] }> = [
    {
      name: 'lays a three-shift day out with breaks, the night shift dated by its start',
      cal: threeShift,
      from: '2026-11-21T06:00',
      to: '2026-11-22T06:00',
      want: [
        ['2026-11-21T06:00', '2026-11-21T10:00', 'production', '2026-11-21/A'],
        ['2026-11-21T10:00', '2026-11-21T10:30', 'break', '2026-11-21/A'],
        ['2026-11-21T10:30', '2026-11-21T14:00', 'production', '2026-11-21/A'],
        ['2026-11-21T14:00', '2026-11-21T18:00', 'production', '2026-11-21/B'],
        ['2026-11-21T18:00', '2026-11-21T18:30', 'break', '2026-11-21/B'],
        ['2026-11-21T18:30', '2026-11-21T22:00', 'production', '2026-11-21/B'],
        ['2026-11-21T22:00', '2026-11-22T02:00', 'production', '2026-11-21/C'],
        ['2026-11-22T02:00', '2026-11-22T02:30', 'break', '2026-11-21/C'],
        ['2026-11-22T02:30', '2026-11-22T06:00', 'production', '2026-11-21/C'],
      ],
    },
    {
      name: 'gives the hours after midnight to the night shift of the day before',
      cal: threeShift,
      from: '2026-11-21T00:00',
      to: '2026-11-21T07:00',
      want: [
        ['2026-11-21T00:00', '2026-11-21T02:00', 'production', '2026-11-20/C'],
        ['2026-11-21T02:00', '2026-11-21T02:30', 'break', '2026-11-20/C'],
        ['2026-11-21T02:30', '2026-11-21T06:00', 'production', '2026-11-20/C'],
        ['2026-11-21T06:00', '2026-11-21T07:00', 'production', '2026-11-21/A'],
      ],
    },
    {
      name: 'clips to a window that starts and ends inside breaks',
      cal: threeShift,
      from: '2026-11-21T10:15',
      to: '2026-11-21T18:10',
      want: [
        ['2026-11-21T10:15', '2026-11-21T10:30', 'break', '2026-11-21/A'],
        ['2026-11-21T10:30', '2026-11-21T14:00', 'production', '2026-11-21/A'],
        ['2026-11-21T14:00', '2026-11-21T18:00', 'production', '2026-11-21/B'],
        ['2026-11-21T18:00', '2026-11-21T18:10', 'break', '2026-11-21/B'],
      ],
    },
    {
      name: 'turns the shifts of a holiday into holiday, not the night shift of the day before',
      cal: { ...threeShift, holidays: [{ date: '2026-09-02', name: 'National Day' }] },
      from: '2026-09-02T00:00',
      to: '2026-09-03T08:00',
      want: [
        ['2026-09-02T00:00', '2026-09-02T02:00', 'production', '2026-09-01/C'],
        ['2026-09-02T02:00', '2026-09-02T02:30', 'break', '2026-09-01/C'],
        ['2026-09-02T02:30', '2026-09-02T06:00', 'production', '2026-09-01/C'],
        ['2026-09-02T06:00', '2026-09-02T14:00', 'holiday', '2026-09-02/A'],
        ['2026-09-02T14:00', '2026-09-02T22:00', 'holiday', '2026-09-02/B'],
        ['2026-09-02T22:00', '2026-09-03T06:00', 'holiday', '2026-09-02/C'],
        ['2026-09-03T06:00', '2026-09-03T08:00', 'production', '2026-09-03/A'],
      ],
    },
    {
      name: 'puts planned downtime over production and breaks, across a shift change',
      cal: { ...threeShift, plannedDowntime: [{ start: '2026-11-21T09:00', end: '2026-11-21T15:00', reason: 'PM' }] },
      from: '2026-11-21T06:00',
      to: '2026-11-21T19:00',
      want: [
        ['2026-11-21T06:00', '2026-11-21T09:00', 'production', '2026-11-21/A'],
        ['2026-11-21T09:00', '2026-11-21T14:00', 'planned_downtime', '2026-11-21/A'],
        ['2026-11-21T14:00', '2026-11-21T15:00', 'planned_downtime', '2026-11-21/B'],
        ['2026-11-21T15:00', '2026-11-21T18:00', 'production', '2026-11-21/B'],
        ['2026-11-21T18:00', '2026-11-21T18:30', 'break', '2026-11-21/B'],
        ['2026-11-21T18:30', '2026-11-21T19:00', 'production', '2026-11-21/B'],
      ],
    },
    {
      name: 'leaves time outside shifts and days without shifts unplanned',
      cal: {
        id: 'two-shift',
        name: 'two shifts Mon-Fri',
        shifts: [
          { name: 'day', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '07:00', end: '15:00' },
          { name: 'late', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '15:00', end: '23:00' },
        ],
      },
      // Friday 20 Nov 2026 to Monday 23 Nov 2026 08:00
      from: '2026-11-20T22:00',
      to: '2026-11-23T08:00',
      want: [
        ['2026-11-20T22:00', '2026-11-20T23:00', 'production', '2026-11-20/late'],
        ['2026-11-23T07:00', '2026-11-23T08:00', 'production', '2026-11-23/day'],
      ],
    },
    {
      name: 'runs a Sunday night shift into Monday and crosses a month boundary',
      cal: threeShift,
      from: '2026-11-30T21:00',
      to: '2026-12-01T01:00',
      want: [
        ['2026-11-30T21:00', '2026-11-30T22:00', 'production', '2026-11-30/B'],
        ['2026-11-30T22:00', '2026-12-01T01:00', 'production', '2026-11-30/C'],
      ],
    },
    {
      name: 'covers a 24/7 calendar as one production segment per day',
      cal: { id: 'default-24x7', name: '24/7', shifts: [{ name: 'day', days: ALL, start: '00:00', end: '24:00' }] },
      from: '2026-11-21T12:00',
      to: '2026-11-22T12:00',
      want: [
        ['2026-11-21T12:00', '2026-11-22T00:00', 'production', '2026-11-21/day'],
        ['2026-11-22T00:00', '2026-11-22T12:00', 'production', '2026-11-22/day'],
      ],
    },
    {
      name: 'returns nothing for an empty window',
      cal: threeShift,
      from: '2026-11-21T06:00',
      to: '2026-11-21T06:00',
      want: [],
    },
  ]
  for (const c of cases) {
    it(`planSegments ${c.name}`, () => {
      expect(rows(planSegments(c.cal, VN, vn(c.from), vn(c.to)))).toEqual(c.want)
    })
  }

  it('planSegments covers the window exactly where shifts cover it: segments are sorted, touching, inside it', () => {
    const from = vn('2026-11-01T00:00')
    const to = vn('2026-12-01T00:00')
    const segs = planSegments(threeShift, VN, from, to)
    expect(segs[0]?.start).toBe(from)
    expect(segs.at(-1)?.end).toBe(to)
    for (let i = 1; i < segs.length; i++) expect(segs[i]?.start).toBe(segs[i - 1]?.end)
    // 30 days x 3 shifts x 7.5 h production; 30 x 3 x 0.5 h breaks
    const sum = (k: PlanKind) => segs.filter((s) => s.kind === k).reduce((a, s) => a + s.end - s.start, 0)
    expect(sum('production')).toBe(30 * 3 * 7.5 * 3_600_000)
    expect(sum('break')).toBe(30 * 3 * 0.5 * 3_600_000)
  })

  it('planSegments follows DST: a spring-forward night shift is 7 h, a fall-back one 9 h (America/New_York)', () => {
    const NY = 'America/New_York'
    const night: Calendar = { id: 'n', name: 'night', shifts: [{ name: 'N', days: ALL, start: '22:00', end: '06:00', breaks: [{ start: '04:00', end: '04:30' }] }] }
    // 7 Mar 2026 22:00 EST = 8 Mar 03:00Z; clocks jump 02:00 EST -> 03:00 EDT; 06:00 EDT = 10:00Z
    const spring = planSegments(night, NY, Date.parse('2026-03-08T00:00:00Z'), Date.parse('2026-03-08T12:00:00Z'))
    expect(spring.map((s) => [new Date(s.start).toISOString(), new Date(s.end).toISOString(), s.kind, s.shift?.date])).toEqual([
      ['2026-03-08T03:00:00.000Z', '2026-03-08T08:00:00.000Z', 'production', '2026-03-07'],
      ['2026-03-08T08:00:00.000Z', '2026-03-08T08:30:00.000Z', 'break', '2026-03-07'],
      ['2026-03-08T08:30:00.000Z', '2026-03-08T10:00:00.000Z', 'production', '2026-03-07'],
    ])
    // 31 Oct 2026 22:00 EDT = 1 Nov 02:00Z; clocks fall back 02:00 EDT -> 01:00 EST; 06:00 EST = 11:00Z
    const fall = planSegments(night, NY, Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-11-01T12:00:00Z'))
    const first = fall[0]
    const last = fall.at(-1)
    expect([first?.start, last?.end]).toEqual([Date.parse('2026-11-01T02:00:00Z'), Date.parse('2026-11-01T11:00:00Z')])
    expect(fall.find((s) => s.kind === 'break')?.start).toBe(Date.parse('2026-11-01T09:00:00Z'))
  })
})

describe('buckets', () => {
  type B = [key: string, start: string, end: string]
  const cases: Array<{ name: string; size: Parameters<typeof buckets>[0]; from: string; to: string; want: B[] }> = [
    {
      name: 'cuts hours on the local clock, clipping the first and last',
      size: 'hour',
      from: '2026-11-21T05:30',
      to: '2026-11-21T08:00',
      want: [
        ['2026-11-21T05', '2026-11-21T05:30', '2026-11-21T06:00'],
        ['2026-11-21T06', '2026-11-21T06:00', '2026-11-21T07:00'],
        ['2026-11-21T07', '2026-11-21T07:00', '2026-11-21T08:00'],
      ],
    },
    {
      name: 'gives shifts keyed by production date, the night shift across midnight whole',
      size: 'shift',
      from: '2026-11-21T12:00',
      to: '2026-11-22T08:00',
      want: [
        ['2026-11-21/A', '2026-11-21T12:00', '2026-11-21T14:00'],
        ['2026-11-21/B', '2026-11-21T14:00', '2026-11-21T22:00'],
        ['2026-11-21/C', '2026-11-21T22:00', '2026-11-22T06:00'],
        ['2026-11-22/A', '2026-11-22T06:00', '2026-11-22T08:00'],
      ],
    },
    {
      name: 'splits days at local midnight across a month boundary',
      size: 'day',
      from: '2026-11-30T20:00',
      to: '2026-12-01T08:00',
      want: [
        ['2026-11-30', '2026-11-30T20:00', '2026-12-01T00:00'],
        ['2026-12-01', '2026-12-01T00:00', '2026-12-01T08:00'],
      ],
    },
    {
      name: 'splits months at the first of the month, local time',
      size: 'month',
      from: '2026-11-30T20:00',
      to: '2027-01-15T00:00',
      want: [
        ['2026-11', '2026-11-30T20:00', '2026-12-01T00:00'],
        ['2026-12', '2026-12-01T00:00', '2027-01-01T00:00'],
        ['2027-01', '2027-01-01T00:00', '2027-01-15T00:00'],
      ],
    },
    {
      name: 'uses ISO weeks from Monday, 2026 having a week 53 that ends in 2027',
      size: 'week',
      from: '2026-11-21T00:00',
      to: '2027-01-06T00:00',
      want: [
        ['2026-W47', '2026-11-21T00:00', '2026-11-23T00:00'],
        ['2026-W48', '2026-11-23T00:00', '2026-11-30T00:00'],
        ['2026-W49', '2026-11-30T00:00', '2026-12-07T00:00'],
        ['2026-W50', '2026-12-07T00:00', '2026-12-14T00:00'],
        ['2026-W51', '2026-12-14T00:00', '2026-12-21T00:00'],
        ['2026-W52', '2026-12-21T00:00', '2026-12-28T00:00'],
        ['2026-W53', '2026-12-28T00:00', '2027-01-04T00:00'],
        ['2027-W01', '2027-01-04T00:00', '2027-01-06T00:00'],
      ],
    },
  ]
  for (const c of cases) {
    it(`buckets ${c.name}`, () => {
      const got = buckets(c.size, threeShift, VN, vn(c.from), vn(c.to)).map((b): B => [b.key, fmt(b.start, VN), fmt(b.end, VN)])
      expect(got).toEqual(c.want)
    })
  }

  it('buckets ISO week 1 of 2026 starts on Monday 29 Dec 2025', () => {
    expect(buckets('week', threeShift, VN, vn('2026-01-01T00:00'), vn('2026-01-02T00:00')).map((b) => b.key)).toEqual(['2026-W01'])
  })

  it('buckets days last 23 and 25 hours across DST, and the repeated hour keeps a unique key (America/New_York)', () => {
    const NY = 'America/New_York'
    const days = buckets('day', threeShift, NY, Date.parse('2026-03-08T05:00:00Z'), Date.parse('2026-03-09T04:00:00Z'))
    expect(days.map((d) => [d.key, (d.end - d.start) / 3_600_000])).toEqual([['2026-03-08', 23]])
    const fall = buckets('day', threeShift, NY, Date.parse('2026-11-01T04:00:00Z'), Date.parse('2026-11-02T05:00:00Z'))
    expect(fall.map((d) => [d.key, (d.end - d.start) / 3_600_000])).toEqual([['2026-11-01', 25]])
    const hours = buckets('hour', threeShift, NY, Date.parse('2026-11-01T04:00:00Z'), Date.parse('2026-11-01T08:00:00Z'))
    expect(hours.map((h) => h.key)).toEqual(['2026-11-01T00', '2026-11-01T01', '2026-11-01T01-05:00', '2026-11-01T02'])
  })

  it('buckets follow a zone with a half-hour offset (Asia/Kolkata, +05:30)', () => {
    const from = Date.parse('2026-11-21T00:00:00+05:30')
    const hours = buckets('hour', threeShift, 'Asia/Kolkata', from - 30 * 60_000, from + 60 * 60_000)
    expect(hours.map((h) => [h.key, new Date(h.start).toISOString()])).toEqual([
      ['2026-11-20T23', '2026-11-20T18:00:00.000Z'],
      ['2026-11-21T00', '2026-11-20T18:30:00.000Z'],
    ])
  })
})
