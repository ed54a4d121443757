/**
 * Energy cost by EVN time-of-use period: Σ interval kWh × price(voltage level, period of the
 * interval). Periods change only on quarter hours (tou.yaml is checked for it), so an interval
 * inside one 15-minute slot has exactly one period; a longer or misaligned interval could span two
 * and is refused rather than priced by its start.
 */
import { MINUTE_MS, weekdayOf } from '../calendar/local-time.ts'
import { TOU_PERIODS, TOU_SLOT_MINUTES, type Tariff, type TouPeriod, type TouRegime } from '../reference/energy.ts'
import { EnergyError } from './errors.ts'
import { priceOf } from './tariff.ts'
import { inForce, localSlot, type LocalSlot } from './tou.ts'

/** Length of a time-of-use slot and of a demand interval, ms. */
export const SLOT_MS = TOU_SLOT_MINUTES * MINUTE_MS

/** kWh used in [start, end), epoch ms. */
export interface EnergyInterval {
  readonly start: number
  readonly end: number
  readonly kwh: number
}

/** What prices energy: the factory's zone and voltage level, the regimes and tariffs in force. */
export interface PricingContext {
  readonly tz: string
  readonly voltageLevel: string
  readonly tou: readonly TouRegime[]
  readonly tariffs: readonly Tariff[]
}

/** The time-of-use class of a slot: period and price, or why it has none. */
export interface SlotClass {
  /** Undefined when no time-of-use regime is in force that day. */
  readonly period: TouPeriod | undefined
  readonly regime: TouRegime | undefined
  /** VND per kWh excl. VAT; undefined when no regime or no tariff is in force. */
  readonly vndPerKwh: number | undefined
  readonly tariff: Tariff | undefined
  /** Local calendar year of the slot (for the emission factor). */
  readonly year: number
}

/**
 * Throws `SHOPFLOOR_ENERGY_INTERVAL_STRADDLES` unless [start, end) lies inside one quarter-hour slot
 * of the factory's clock: only then does it have one time-of-use period.
 */
export function assertInOneSlot(tz: string, i: { start: number; end: number }): void {
  const a = localSlot(tz, i.start)
  const b = localSlot(tz, i.end - 1)
  if (!(i.end > i.start) || a.day !== b.day || a.slot !== b.slot || i.end - i.start > SLOT_MS) {
    throw new EnergyError(
      'SHOPFLOOR_ENERGY_INTERVAL_STRADDLES',
      `energy interval ${new Date(i.start).toISOString()} to ${new Date(i.end).toISOString()} is not inside one ${TOU_SLOT_MINUTES}-minute slot of zone ${tz}: it could span two time-of-use periods; split it at quarter hours`,
    )
  }
}

/** Period, price and year of the slot holding instant `t`. */
export function classifySlot(ctx: PricingContext, t: number): SlotClass {
  return classifyLocal(ctx, localSlot(ctx.tz, t))
}

/** Period, price and year of quarter-hour slot `slot` of local day `day` (days since 1970-01-01). */
export function classifyLocal(ctx: PricingContext, { day, slot }: LocalSlot): SlotClass {
  const year = new Date(day * 86_400_000).getUTCFullYear()
  const regime = inForce(ctx.tou, day)
  if (!regime) return { period: undefined, regime: undefined, vndPerKwh: undefined, tariff: undefined, year }
  const period = regime.slots[weekdayOf(day)][slot] as TouPeriod
  const price = priceOf(ctx.tariffs, ctx.voltageLevel, period, day)
  return { period, regime, vndPerKwh: price?.vndPerKwh, tariff: price?.tariff, year }
}

export interface PeriodCost {
  kwh: number
  /** VND excl. VAT of the priced kWh of the period. */
  vnd: number
}

export interface EnergyCost {
  /** Σ over priced kWh, VND excl. VAT. */
  vnd: number
  byPeriod: Record<TouPeriod, PeriodCost>
  /** kWh on days without a regime or tariff in force: left out of `vnd`, never priced at a guess. */
  unpricedKwh: number
}

export const emptyCost = (): EnergyCost => ({
  vnd: 0,
  byPeriod: Object.fromEntries(TOU_PERIODS.map((p) => [p, { kwh: 0, vnd: 0 }])) as Record<TouPeriod, PeriodCost>,
  unpricedKwh: 0,
})

/** Adds `kwh` of slot class `c` to `cost`. */
export function addCost(cost: EnergyCost, c: SlotClass, kwh: number): void {
  if (c.period === undefined) {
    cost.unpricedKwh += kwh
    return
  }
  const p = cost.byPeriod[c.period]
  p.kwh += kwh
  if (c.vndPerKwh === undefined) {
    cost.unpricedKwh += kwh
    return
  }
  p.vnd += kwh * c.vndPerKwh
  cost.vnd += kwh * c.vndPerKwh
}

/** Cost of intervals of at most one slot each (15 min or finer, aligned); see {@link assertInOneSlot}. */
export function energyCost(ctx: PricingContext, intervals: readonly EnergyInterval[]): EnergyCost {
  const cost = emptyCost()
  for (const i of intervals) {
    assertInOneSlot(ctx.tz, i)
    addCost(cost, classifySlot(ctx, i.start), i.kwh)
  }
  return cost
}
