import { describe, expect, it } from 'vitest'
import { assertInOneSlot, classifySlot, energyCost, type PricingContext } from '../../api/energy/cost.ts'
import { EnergyError } from '../../api/energy/errors.ts'
import { priceOf } from '../../api/energy/tariff.ts'
import { touPeriodAt } from '../../api/energy/tou.ts'
import { loadEnergyReference } from '../../api/reference/energy.ts'
import { DEFAULT_SEED_DIR } from '../../api/reference/index.ts'

const ref = loadEnergyReference(DEFAULT_SEED_DIR)
const HCM = 'Asia/Ho_Chi_Minh'
const at = (local: string, offset = '+07:00') => Date.parse(`${local}${offset}`)

describe('touPeriodAt', () => {
  // Local times in Ho Chi Minh City (UTC+7). 2026-04-20 is a Monday; 963/QĐ-BCT applies from 2026-04-22 (seed).
  const cases: Array<[string, string, string]> = [
    // legacy regime
    ['2026-04-20T09:29:59', 'normal', 'evn-legacy'],
    ['2026-04-20T09:30', 'peak', 'evn-legacy'],
    ['2026-04-20T11:29:59.999', 'peak', 'evn-legacy'],
    ['2026-04-20T11:30', 'normal', 'evn-legacy'],
    ['2026-04-20T17:00', 'peak', 'evn-legacy'],
    ['2026-04-20T19:59', 'peak', 'evn-legacy'],
    ['2026-04-20T20:00', 'normal', 'evn-legacy'],
    ['2026-04-20T22:00', 'offpeak', 'evn-legacy'],
    ['2026-04-21T03:59', 'offpeak', 'evn-legacy'],
    ['2026-04-21T04:00', 'normal', 'evn-legacy'],
    ['2026-04-18T10:00', 'peak', 'evn-legacy'], // Saturday has peaks
    ['2026-04-19T10:00', 'normal', 'evn-legacy'], // Sunday has none
    ['2026-04-19T18:00', 'normal', 'evn-legacy'],
    ['2026-04-19T23:00', 'offpeak', 'evn-legacy'],
    ['2026-04-19T03:00', 'offpeak', 'evn-legacy'],
    ['2026-04-21T23:59:59.999', 'offpeak', 'evn-legacy'], // last ms before the change of regime
    // Decision 963/QĐ-BCT
    ['2026-04-22T00:00', 'offpeak', 'evn-963-2026'],
    ['2026-04-22T05:59', 'offpeak', 'evn-963-2026'],
    ['2026-04-22T06:00', 'normal', 'evn-963-2026'],
    ['2026-04-22T10:00', 'normal', 'evn-963-2026'], // was peak the day before
    ['2026-04-22T17:29', 'normal', 'evn-963-2026'],
    ['2026-04-22T17:30', 'peak', 'evn-963-2026'],
    ['2026-04-22T22:29:59', 'peak', 'evn-963-2026'],
    ['2026-04-22T22:30', 'normal', 'evn-963-2026'],
    ['2026-04-25T18:00', 'peak', 'evn-963-2026'], // Saturday
    ['2026-04-26T18:00', 'normal', 'evn-963-2026'], // Sunday
    ['2026-04-26T23:59', 'normal', 'evn-963-2026'],
  ]
  it.each(cases)('touPeriodAt(%s local) is %s (%s)', (local, period, regime) => {
    const r = touPeriodAt(ref.tou, HCM, at(local))
    expect([r?.period, r?.regime.id]).toEqual([period, regime])
  })

  it('touPeriodAt reads the period on the factory clock, not UTC', () => {
    const t = Date.parse('2026-04-20T02:45:00Z') // 09:45 in Ho Chi Minh City, 02:45 in UTC
    expect(touPeriodAt(ref.tou, HCM, t)?.period).toBe('peak')
    expect(touPeriodAt(ref.tou, 'UTC', t)?.period).toBe('offpeak')
  })

  it('touPeriodAt picks the regime by the local date: 17:00Z on 21 April is already 22 April in Vietnam', () => {
    expect(touPeriodAt(ref.tou, HCM, Date.parse('2026-04-21T16:59:59Z'))?.regime.id).toBe('evn-legacy')
    expect(touPeriodAt(ref.tou, HCM, Date.parse('2026-04-21T17:00:00Z'))?.regime.id).toBe('evn-963-2026')
  })

  it('touPeriodAt is undefined on a day no regime covers', () => {
    const only963 = ref.tou.filter((r) => r.id === 'evn-963-2026')
    expect(touPeriodAt(only963, HCM, at('2026-04-21T12:00'))).toBeUndefined()
  })
})

describe('priceOf', () => {
  const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / 86_400_000
  const cases: Array<[string, 'peak' | 'normal' | 'offpeak', string, number | undefined]> = [
    ['>=110kV', 'normal', '2025-05-10', 1811],
    ['>=110kV', 'offpeak', '2026-01-01', 1146],
    ['>=110kV', 'peak', '2026-01-01', 3266],
    ['22-110kV', 'normal', '2026-01-01', 1833],
    ['22-110kV', 'offpeak', '2026-01-01', 1190],
    ['22-110kV', 'peak', '2026-01-01', 3398],
    ['6-22kV', 'normal', '2026-01-01', 1899],
    ['6-22kV', 'offpeak', '2026-01-01', 1234],
    ['6-22kV', 'peak', '2026-01-01', 3508],
    ['<6kV', 'normal', '2026-01-01', 1987],
    ['<6kV', 'offpeak', '2026-01-01', 1300],
    ['<6kV', 'peak', '2026-01-01', 3640],
    ['22-110kV', 'peak', '2025-05-09', undefined], // before the first tariff of the seed
  ]
  it.each(cases)('priceOf(%s, %s, %s) is %s VND/kWh', (level, period, date, want) => {
    expect(priceOf(ref.tariffs, level, period, day(date))?.vndPerKwh).toBe(want)
  })

  it('priceOf refuses a voltage level the tariff does not price, naming it', () => {
    expect(() => priceOf(ref.tariffs, '35kV', 'peak', day('2026-01-01'))).toThrow(/voltage level "35kV" is not priced by tariff "evn-1279-2025"/)
  })
})

describe('energyCost', () => {
  const ctx: PricingContext = { tz: HCM, voltageLevel: '22-110kV', tou: ref.tou, tariffs: ref.tariffs }
  const q = (local: string, kwh: number, minutes = 15) => ({ start: at(local), end: at(local) + minutes * 60_000, kwh })

  it('energyCost prices a Monday afternoon across the legacy 17:00 boundary', () => {
    // 2026-03-02 is a Monday: 16:30-17:00 normal 1,833; 17:00-17:30 peak 3,398 (22-110 kV)
    const c = energyCost(ctx, [q('2026-03-02T16:30', 10), q('2026-03-02T16:45', 10), q('2026-03-02T17:00', 12), q('2026-03-02T17:15', 12)])
    // 20 × 1,833 + 24 × 3,398 = 36,660 + 81,552
    expect(c.vnd).toBeCloseTo(118_212, 6)
    expect(c.byPeriod.normal).toEqual({ kwh: 20, vnd: 36_660 })
    expect(c.byPeriod.peak).toEqual({ kwh: 24, vnd: 81_552 })
    expect(c.byPeriod.offpeak).toEqual({ kwh: 0, vnd: 0 })
    expect(c.unpricedKwh).toBe(0)
  })

  it('energyCost prices across the 963/QĐ-BCT 17:30 boundary on the half hour', () => {
    // 2026-05-04 is a Monday: 17:00-17:30 normal, 17:30-18:00 peak
    const c = energyCost(ctx, [q('2026-05-04T17:00', 8), q('2026-05-04T17:15', 8), q('2026-05-04T17:30', 10), q('2026-05-04T17:45', 10)])
    // 16 × 1,833 + 20 × 3,398 = 29,328 + 67,960
    expect(c.vnd).toBeCloseTo(97_288, 6)
  })

  it('energyCost accepts minute intervals and an off-peak night at another voltage level', () => {
    const c = energyCost({ ...ctx, voltageLevel: '<6kV' }, [q('2026-05-04T05:58', 1, 1), q('2026-05-04T05:59', 1, 1), q('2026-05-04T06:00', 2, 1)])
    // 2 × 1,300 + 2 × 1,987
    expect(c.vnd).toBeCloseTo(6_574, 6)
  })

  it('energyCost leaves energy on days without a tariff unpriced, never priced at a guess', () => {
    const c = energyCost(ctx, [q('2025-05-09T10:00', 5), q('2025-05-10T10:00', 5)])
    expect(c.unpricedKwh).toBe(5)
    expect(c.vnd).toBe(5 * 3398)
    expect(c.byPeriod.peak.kwh).toBe(10)
  })

  const straddling: Array<[string, number, number]> = [
    ['2026-05-04T17:20', 15, 0], // 17:20-17:35 spans normal and peak
    ['2026-05-04T17:00', 30, 0], // longer than a slot
    ['2026-05-04T17:29', 2, 0],
    ['2026-05-04T17:30', 0, 0], // empty
  ]
  it.each(straddling)('energyCost refuses an interval from %s lasting %d min: it could span two periods', (local, minutes) => {
    const e = (() => {
      try {
        energyCost(ctx, [q(local, 1, minutes)])
      } catch (err) {
        return err
      }
      return undefined
    })()
    expect(e).toBeInstanceOf(EnergyError)
    expect((e as EnergyError).code).toBe('SHOPFLOOR_ENERGY_INTERVAL_STRADDLES')
  })

  it('assertInOneSlot holds for every aligned quarter hour of a day, so a boundary on the half hour never splits one', () => {
    const day = at('2026-05-04T00:00')
    for (let s = 0; s < 96; s++) expect(() => assertInOneSlot(HCM, { start: day + s * 900_000, end: day + (s + 1) * 900_000 })).not.toThrow()
  })

  it('classifySlot gives the local year, for the emission factor', () => {
    expect(classifySlot(ctx, Date.parse('2025-12-31T17:00:00Z')).year).toBe(2026) // 00:00 on 1 Jan 2026 local
    expect(classifySlot(ctx, Date.parse('2025-12-31T16:59:00Z')).year).toBe(2025)
  })
})
