/** Energy prices: the tariff in force on a local day, priced by voltage level and time-of-use period. */
import type { Tariff, TouPeriod } from '../reference/energy.ts'
import { EnergyError } from './errors.ts'
import { inForce } from './tou.ts'

export interface PriceAt {
  /** VND per kWh, excluding VAT. */
  readonly vndPerKwh: number
  readonly tariff: Tariff
}

/**
 * Price of a kWh at voltage level `voltageLevel` in `period` on local day `day` (days since
 * 1970-01-01); undefined when no tariff is in force that day. A level the tariff does not price is
 * an error (the seed check keeps factories.yaml to the tariff's levels).
 */
export function priceOf(tariffs: readonly Tariff[], voltageLevel: string, period: TouPeriod, day: number): PriceAt | undefined {
  const tariff = inForce(tariffs, day)
  if (!tariff) return undefined
  const prices = tariff.prices[voltageLevel]
  if (!prices) {
    throw new EnergyError('SHOPFLOOR_ENERGY_VOLTAGE_LEVEL', `voltage level "${voltageLevel}" is not priced by tariff "${tariff.id}" (levels: ${Object.keys(tariff.prices).join(', ')}): fix voltageLevel in factories.yaml`)
  }
  return { vndPerKwh: prices[period], tariff }
}
