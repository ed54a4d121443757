/**
 * Time-of-use period of an instant: the factory's local date picks the regime in force (by
 * effective date), its local weekday and quarter hour pick the period.
 */
import { DAY_MS, MINUTE_MS, weekdayOf } from '../calendar/local-time.ts'
import { toWall } from '../calendar/zone.ts'
import { TOU_SLOT_MINUTES, type Effective, type TouPeriod, type TouRegime } from '../reference/energy.ts'

const SLOT_MS = TOU_SLOT_MINUTES * MINUTE_MS

/** The entry whose effective range holds local day `day` (days since 1970-01-01), if any. */
export function inForce<T extends Effective>(entries: readonly T[], day: number): T | undefined {
  for (const e of entries) {
    if ((e.fromDay === null || e.fromDay <= day) && (e.toDay === null || day < e.toDay)) return e
  }
  return undefined
}

/** Where an instant falls on the factory's clock: local day number, weekday and quarter-hour slot of the day. */
export interface LocalSlot {
  readonly day: number
  /** 0 (00:00-00:15) to 95 (23:45-24:00). */
  readonly slot: number
}

export function localSlot(tz: string, t: number): LocalSlot {
  const wall = toWall(tz, t)
  const day = Math.floor(wall / DAY_MS)
  return { day, slot: Math.floor((wall - day * DAY_MS) / SLOT_MS) }
}

export interface TouAt {
  readonly period: TouPeriod
  readonly regime: TouRegime
}

/** The time-of-use period at instant `t` (epoch ms) in zone `tz`; undefined when no regime is in force that day. */
export function touPeriodAt(regimes: readonly TouRegime[], tz: string, t: number): TouAt | undefined {
  const { day, slot } = localSlot(tz, t)
  const regime = inForce(regimes, day)
  if (!regime) return undefined
  return { period: regime.slots[weekdayOf(day)][slot] as TouPeriod, regime }
}
