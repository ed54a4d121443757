/** Scope 2, location-based CO2: kWh × the grid emission factor of the year the energy was used. */
import type { EmissionFactor } from '../reference/energy.ts'

export interface FactorFor {
  readonly factor: EmissionFactor
  /** False when the year has no factor of its own and the latest earlier year's is used. */
  readonly exact: boolean
}

/**
 * The factor for energy used in `year`: that year's, else the latest earlier year's (the latest
 * official value); undefined for a year before every listed factor. `factors` sorted by year.
 */
export function emissionFactorFor(factors: readonly EmissionFactor[], year: number): FactorFor | undefined {
  let best: EmissionFactor | undefined
  for (const f of factors) if (f.year <= year) best = f
  return best ? { factor: best, exact: best.year === year } : undefined
}

/** kg CO2 of `kwh` at `tCo2PerMwh` (t/MWh is kg/kWh: MWh × 1000 kg/t / 1000 kWh/MWh). */
export function co2Kg(kwh: number, tCo2PerMwh: number): number {
  return kwh * tCo2PerMwh
}
