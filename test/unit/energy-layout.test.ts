import { describe, expect, it } from 'vitest'
import { classifySlot, type PricingContext } from '../../api/energy/cost.ts'
import { energyLayout } from '../../api/energy/layout.ts'
import { quarterCodes } from '../../api/queries/energy.ts'
import { calendarOf, loadReference } from '../../api/reference/index.ts'
import type { Calendar } from '../../api/calendar/index.ts'

const ref = loadReference()
const HCM = 'Asia/Ho_Chi_Minh'
const pricing = (tz = HCM): PricingContext => ({ tz, voltageLevel: '22-110kV', tou: ref.energy.tou, tariffs: ref.energy.tariffs })
const threeShift = calendarOf(ref, 'three-shift') as Calendar
const allDay = calendarOf(ref, 'default-24x7') as Calendar
const at = (local: string, offset = '+07:00') => Date.parse(`${local}${offset}`)
const hm = (t: number) => new Date(t + 7 * 3_600_000).toISOString().slice(11, 16)

describe('energyLayout', () => {
  it('energyLayout cuts an evening at hours, the 17:30 time-of-use boundary and the 18:00-18:30 break', () => {
    const l = energyLayout({ pricing: pricing(), calendar: threeShift, from: at('2026-05-04T16:00'), to: at('2026-05-04T19:00'), bucket: 'hour' })
    expect(l.buckets.map((b) => b.key)).toEqual(['2026-05-04T16', '2026-05-04T17', '2026-05-04T18'])
    expect(l.slices.map((s) => [hm(s.start), hm(s.end), s.bucket, s.kind, l.classes[s.cls]?.period, l.classes[s.cls]?.vndPerKwh])).toEqual([
      ['16:00', '17:00', 0, 'production', 'normal', 1833],
      ['17:00', '17:30', 1, 'production', 'normal', 1833],
      ['17:30', '18:00', 1, 'production', 'peak', 3398],
      ['18:00', '18:30', 2, 'break', 'peak', 3398],
      ['18:30', '19:00', 2, 'production', 'peak', 3398],
    ])
  })

  it('energyLayout puts time outside the reported buckets in the extra bucket', () => {
    // Shift buckets of the three-shift calendar cover the whole day; a window without buckets is one extra bucket.
    const l = energyLayout({ pricing: pricing(), calendar: allDay, from: at('2026-05-04T16:00'), to: at('2026-05-04T18:00'), bucket: 'none' })
    expect(l.buckets).toEqual([])
    expect(new Set(l.slices.map((s) => s.bucket))).toEqual(new Set([0]))
    expect(l.slices.at(-1)?.end).toBe(at('2026-05-04T18:00'))
  })

  it.each([
    ['Asia/Ho_Chi_Minh', '2026-05-04T00:00:00+07:00', 3],
    ['Europe/Berlin', '2026-03-28T00:00:00+01:00', 3], // clocks go forward on 29 March
    ['America/New_York', '2026-10-31T00:00:00-04:00', 3], // and back on 1 November
    ['Asia/Kathmandu', '2026-05-04T00:00:00+05:45', 2], // a quarter-hour offset
  ])('energyLayout gives every quarter in %s the class classifySlot gives it', (tz, from, days) => {
    const f = Date.parse(from)
    const l = energyLayout({ pricing: pricing(tz), calendar: allDay, from: f, to: f + days * 86_400_000, bucket: 'day' })
    let i = 0
    for (let q = f; q < f + days * 86_400_000; q += 900_000) {
      while ((l.slices[i] as { end: number }).end <= q) i++
      const c = l.classes[(l.slices[i] as { cls: number }).cls]
      const want = classifySlot(pricing(tz), q)
      expect([c?.period, c?.regime?.id, c?.year], `${tz} ${new Date(q).toISOString()}`).toEqual([want.period, want.regime?.id, want.year])
    }
  })

  it('energyLayout refuses a window that is not on whole minutes', () => {
    expect(() => energyLayout({ pricing: pricing(), calendar: allDay, from: at('2026-05-04T16:00:30'), to: at('2026-05-04T17:00'), bucket: 'none' })).toThrow(RangeError)
  })
})

describe('quarterCodes', () => {
  it('quarterCodes maps whole quarters to their span and cut quarters minute by minute', () => {
    const M = 60_000
    // spans: [00:05, 00:20) code 1, [00:20, 00:45) code 2
    const c = quarterCodes([{ start: 5 * M, end: 20 * M }, { start: 20 * M, end: 45 * M }], (_s, i) => i + 1)
    expect(c.q0).toBe(0)
    expect(c.quarters).toEqual([0, 0, 2]) // 00:00 cut by the start, 00:15 cut at 00:20, 00:30 whole in span 2
    expect(c.minuteKeys.map((k) => (k * 1000) / M)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])
    expect(c.minuteCodes).toEqual([...Array(15).fill(1), ...Array(10).fill(2)])
  })
})
